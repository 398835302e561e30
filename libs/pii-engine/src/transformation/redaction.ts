import type { Finding } from '../detection/index.js';

export const DEFAULT_REDACTION = '***REDACTED***';

export type RedactionStyle = 'fixed' | 'type' | 'instance';

/** `<EMAIL>` for email, `<CREDIT_CARD>` for credit_card. */
export function typePlaceholder(type: string): string {
  return `<${type.toUpperCase()}>`;
}

/**
 * Numbered placeholders for one request: the same value always gets the same number, so a
 * model's answer mentioning `<EMAIL_1>` can be mapped back by whoever kept the mapping.
 */
export class InstancePlaceholders {
  readonly #byValue = new Map<string, string>();
  readonly #counts = new Map<string, number>();

  placeholder(type: string, value: string): string {
    const key = `${type}\u0000${value}`;
    let placeholder = this.#byValue.get(key);
    if (placeholder === undefined) {
      const n = (this.#counts.get(type) ?? 0) + 1;
      this.#counts.set(type, n);
      placeholder = `<${type.toUpperCase()}_${n}>`;
      this.#byValue.set(key, placeholder);
    }
    return placeholder;
  }
}

/** A replacement function for one request in the given style. */
export function redactor(style: RedactionStyle, fixed = DEFAULT_REDACTION): (finding: Finding, value: string) => string {
  if (style === 'type') return (f) => typePlaceholder(f.type);
  if (style === 'instance') {
    const placeholders = new InstancePlaceholders();
    return (f, value) => placeholders.placeholder(f.type, value);
  }
  const replacement = fixed === '' ? DEFAULT_REDACTION : fixed;
  return () => replacement;
}
