// Context words: a weak match (nine bare digits, a long random-looking token) becomes a finding
// when words like "ssn" or "api key" stand near it, as in Presidio's context enhancer. Only a
// bounded window is read, so the cost per candidate is constant. The window is compared in
// place (no slice, no lower-casing of a copy), each position only against the words that start
// with its character: this runs for nearly every candidate.

export const CONTEXT_WINDOW = 40;

/** Whether one of `words` (lowercase) appears within the window before `start` or after `end`. */
export function hasContext(text: string, start: number, end: number, words: readonly string[], window = CONTEXT_WINDOW, windowAfter = Math.floor(window / 2)): boolean {
  if (words.length === 0) return false;
  const index = indexOf(words);
  if (inWindow(text, Math.max(0, start - window), start, index)) return true;
  return windowAfter > 0 && inWindow(text, end, Math.min(text.length, end + windowAfter), index);
}

/**
 * A word of `byFirst` as a whole word (or word sequence) inside [from, to): "pin" is not in
 * "spinning". The window's own edges count as word boundaries.
 */
function inWindow(text: string, from: number, to: number, index: WordIndex): boolean {
  const { asciiFirst, byFirst } = index;
  for (let p = from; p < to; p++) {
    const code = text.charCodeAt(p);
    // Most positions: an ASCII character no word starts with.
    if (code < 128 && asciiFirst[code] === 0) continue;
    if (p > from && isWordChar(text.charCodeAt(p - 1))) continue;
    const candidates = byFirst.get(lower(code));
    if (candidates === undefined) continue;
    for (const word of candidates) {
      const end = p + word.length;
      if (end > to || (end < to && isWordChar(text.charCodeAt(end)))) continue;
      if (matchesAt(text, p, word)) return true;
    }
  }
  return false;
}

function matchesAt(text: string, at: number, word: string): boolean {
  for (let i = 1; i < word.length; i++) {
    if (lower(text.charCodeAt(at + i)) !== word.charCodeAt(i)) return false;
  }
  return true;
}

interface WordIndex {
  /** 1 at the ASCII codes (either case) a word starts with. */
  asciiFirst: Uint8Array;
  /** The words by their first character code. */
  byFirst: ReadonlyMap<number, readonly string[]>;
}

const indexes = new WeakMap<readonly string[], WordIndex>();

/** Built once per word list. */
function indexOf(words: readonly string[]): WordIndex {
  let index = indexes.get(words);
  if (index === undefined) {
    const byFirst = new Map<number, string[]>();
    const asciiFirst = new Uint8Array(128);
    for (const word of words) {
      if (word === '') continue;
      const first = word.charCodeAt(0);
      byFirst.set(first, [...(byFirst.get(first) ?? []), word]);
      if (first < 128) {
        asciiFirst[first] = 1;
        if (first >= 97 && first <= 122) asciiFirst[first - 32] = 1;
      }
    }
    index = { asciiFirst, byFirst };
    indexes.set(words, index);
  }
  return index;
}

function lower(code: number): number {
  if (code >= 65 && code <= 90) return code + 32;
  if (code < 128) return code;
  const lowered = String.fromCharCode(code).toLowerCase();
  return lowered.length === 1 ? lowered.charCodeAt(0) : code;
}

function isWordChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 122) || (code >= 65 && code <= 90);
}
