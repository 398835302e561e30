// Where a birth word ("DOB", "born", ...) stands in a text: the match starts of
// /dob|d\.o\.b|birth|born|geboren|né/gi, without running that regex over the whole text (its
// first letters are common ones, so it was tried at most positions). Every stem contains a "b" or
// an "é": those are found with indexOf (native and fast), each stem is compared around them, and
// the regex's choice among overlapping matches is replayed (leftmost first, then the first stem
// in the list, then on after the match).

const STEMS = ['dob', 'd.o.b', 'birth', 'born', 'geboren', 'né'];

/** The stems holding each anchor, with where the anchor is in them. */
const BY_ANCHOR = ['b', 'é'].map((anchor) => ({
  written: [anchor, anchor.toUpperCase()],
  stems: STEMS.map((stem, index) => {
    const offset = stem.indexOf(anchor);
    // The character after the anchor (or before it, for a stem ending with it): a first look that
    // dismisses most places ("number", "about") without comparing the whole stem.
    const near = offset + 1 < stem.length ? offset + 1 : offset - 1;
    return { stem, index, offset, near: near - offset, nearChar: stem.charCodeAt(near) };
  }).filter((s) => s.offset >= 0),
}));

// Found places are encoded as start * STEM_SLOTS + stem index: one numeric sort orders them.
const STEM_SLOTS = 8;

/** The start offsets of the regex's matches, in order. */
export function birthStemStarts(text: string): number[] {
  const found: number[] = [];
  for (const { written, stems } of BY_ANCHOR) {
    for (const char of written) {
      for (let at = text.indexOf(char); at >= 0; at = text.indexOf(char, at + 1)) {
        for (let s = 0; s < stems.length; s++) {
          const { stem, index, offset, near, nearChar } = stems[s]!;
          // (c | 32) is c lower-cased for letters and leaves "." as it is (a rare false match is checked in full).
          if ((text.charCodeAt(at + near) | 32) !== nearChar) continue;
          if (at >= offset && matchesIgnoringCase(text, at - offset, stem)) found.push((at - offset) * STEM_SLOTS + index);
        }
      }
    }
  }
  found.sort((x, y) => x - y);
  const starts: number[] = [];
  // Like the global regex: the leftmost match (of two at one place, the stem listed first), then on after it.
  let resume = 0;
  for (const code of found) {
    const start = Math.floor(code / STEM_SLOTS);
    if (start < resume) continue;
    starts.push(start);
    resume = start + STEMS[code % STEM_SLOTS]!.length;
  }
  return starts;
}

/**
 * `stem` (lower case) at `at`, compared as the regex's `i` flag does for these characters: ASCII
 * letters and "é" in either case, anything else exactly.
 */
function matchesIgnoringCase(text: string, at: number, stem: string): boolean {
  if (at + stem.length > text.length) return false;
  for (let i = 0; i < stem.length; i++) {
    const want = stem.charCodeAt(i);
    const c = text.charCodeAt(at + i);
    const letter = (want >= 97 && want <= 122) || want === 0xe9;
    if (letter ? (c | 32) !== want : c !== want) return false;
  }
  return true;
}
