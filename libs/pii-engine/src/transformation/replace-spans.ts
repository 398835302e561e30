import type { Finding } from '../detection/index.js';

/** `text` with each finding's span replaced; findings must not overlap (detect guarantees it). */
export function replaceSpans(text: string, findings: readonly Finding[], replacementOf: (finding: Finding, value: string) => string): { text: string; replacements: string[] } {
  const ordered = [...findings].sort((a, b) => a.start - b.start);
  const parts: string[] = [];
  const replacements = new Array<string>(findings.length);
  let at = 0;
  for (const f of ordered) {
    if (f.start < at) continue; // defensive: never emit text twice
    parts.push(text.slice(at, f.start));
    const replacement = replacementOf(f, text.slice(f.start, f.end));
    replacements[findings.indexOf(f)] = replacement;
    parts.push(replacement);
    at = f.end;
  }
  parts.push(text.slice(at));
  return { text: parts.join(''), replacements };
}
