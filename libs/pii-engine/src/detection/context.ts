// Context words: a weak match (nine bare digits, a long random-looking token) becomes a finding
// when words like "ssn" or "api key" stand near it, as in Presidio's context enhancer. Only a
// bounded window is read, so the cost per candidate is constant. The window is compared in
// place (no slice, no lower-casing of a copy), each word start only against the words that start
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
  // p is always where a word may start: the window's start or after a non-word character.
  for (let p = from; p < to; ) {
    const code = text.charCodeAt(p);
    // Compared only where some word starts with this character (any non-ASCII one is looked up).
    if (code >= 128 || asciiFirst[code] === 1) {
      const candidates = byFirst.get(lower(code));
      if (candidates !== undefined) {
        for (const word of candidates) {
          const end = p + word.length;
          if (end > to || (end < to && isWordChar(text.charCodeAt(end)))) continue;
          if (matchesAt(text, p, word)) return true;
        }
      }
    }
    p++;
    // The rest of a word starts no word: skip it.
    if (isWordChar(code)) while (p < to && isWordChar(text.charCodeAt(p))) p++;
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

// ASCII letters and digits: what a context word must not touch on either side.
const WORD_CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++) WORD_CHARS[c] = (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) ? 1 : 0;

function isWordChar(code: number): boolean {
  return code < 128 && WORD_CHARS[code] === 1;
}
