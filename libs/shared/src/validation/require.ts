import { invalidArgument } from '../errors/index.js';

// Input checks for RPC handlers. Each returns the value so a handler can validate and
// bind in one line, and throws invalidArgument naming the field path
// (`policy.rules[2].name`), so a client knows which input to fix.
// Messages describe the expectation and never repeat the value: inputs may be secrets.

export function requireNonEmpty(value: string, field: string): string {
  if (value.trim() === '') throw invalidArgument(field, 'must not be empty');
  return value;
}

/** For optional message fields: proto3 leaves unset message fields undefined. */
export function requirePresent<T>(value: T | null | undefined, field: string): T {
  if (value === undefined || value === null) throw invalidArgument(field, 'is required');
  return value;
}

/**
 * Tenant ids appear in Postgres schema/row keys, Redis key prefixes and Kafka topic and
 * key names, so they are restricted to what is safe in all three without escaping:
 * lowercase ASCII letters, digits, "_" and "-", starting with a letter or digit, at most
 * 63 characters (the Postgres identifier limit).
 */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function requireTenantId(value: string, field = 'tenant_id'): string {
  if (!TENANT_ID_PATTERN.test(value)) {
    throw invalidArgument(field, 'must be 1-63 lowercase letters, digits, "_" or "-", starting with a letter or digit');
  }
  return value;
}

/** Length in Unicode code points, which is how Postgres counts varchar(n). */
export function requireLength(value: string, field: string, min: number, max: number): string {
  const length = [...value].length;
  if (length < min || length > max) {
    const expected = min === max ? `exactly ${min}` : `between ${min} and ${max}`;
    throw invalidArgument(field, `must be ${expected} characters long`);
  }
  return value;
}

/** `description` says in words what the pattern means; without it the regex source is shown. */
export function requirePattern(value: string, field: string, pattern: RegExp, description?: string): string {
  // A /g or /y regex keeps lastIndex between calls; testing on a copy keeps this stateless.
  const stateless = pattern.global || pattern.sticky ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')) : pattern;
  if (!stateless.test(value)) throw invalidArgument(field, `must match ${description ?? pattern.source}`);
  return value;
}

/** Inclusive range, for numbers and for bigint (int64/uint64 proto fields). NaN fails both comparisons. */
export function requireRange<T extends number | bigint>(value: T, field: string, min: T, max: T): T {
  if (!(value >= min && value <= max)) throw invalidArgument(field, `must be between ${min} and ${max}`);
  return value;
}

export function requireOneOf<T extends string | number>(value: T, field: string, allowed: readonly T[]): T {
  if (!allowed.includes(value)) throw invalidArgument(field, `must be one of ${allowed.join(', ')}`);
  return value;
}
