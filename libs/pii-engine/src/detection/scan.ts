// Shared cheap pre-scans: one pass of charCodeAt over the text finds the few spans an expensive
// pattern could match, so the patterns run on those spans (anchored or on a short slice) instead
// of being tried at every position of the text. Each helper is linear in the text length.

// A table lookup is cheaper than the chain of comparisons in the hottest loop (forEachRun).
const TOKEN_CHARS = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-') TOKEN_CHARS[ch.charCodeAt(0)] = 1;

/** Characters of base64/base64url/hex tokens: A-Z a-z 0-9 + / _ - */
export function isTokenChar(c: number): boolean {
  return c < 128 && TOKEN_CHARS[c] === 1;
}

/** ASCII letter or digit or underscore: the `\w` of the built-in patterns. */
export function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/**
 * Calls `visit(start, end)`, in order, for every maximal run of characters passing `inRun` that
 * is at least `minLength` long. Such a run covers a multiple of `minLength`, so only every
 * `minLength`-th character is probed and the run is grown from the probes that hit: ordinary
 * words are touched a few characters at a time instead of character by character.
 */
export function forEachRun(text: string, inRun: (c: number) => boolean, minLength: number, visit: (start: number, end: number) => void): void {
  const n = text.length;
  const step = Math.max(1, minLength);
  // A run at least minLength long through the probe covers the character `reach` before it or
  // the one `reach` after it (without both it would fit in 2 * reach - 1 < minLength): two
  // looks dismiss most probes that hit an ordinary word, without growing the word.
  const reach = Math.floor(step / 2);
  // Everything before `done` has been looked at (a run found there has been visited).
  let done = 0;
  for (let probe = step - 1; probe < n; probe += step) {
    if (probe < done || !inRun(text.charCodeAt(probe))) continue;
    if (reach > 0 && (probe < reach || !inRun(text.charCodeAt(probe - reach))) && (probe + reach >= n || !inRun(text.charCodeAt(probe + reach)))) continue;
    let start = probe;
    while (start > done && inRun(text.charCodeAt(start - 1))) start--;
    let end = probe + 1;
    while (end < n && inRun(text.charCodeAt(end))) end++;
    if (end - start >= minLength) visit(start, end);
    done = end;
  }
}

/**
 * Matches of a global `pattern` inside [start, end) of `text`, run on a slice that keeps `margin`
 * characters either side so the pattern's lookbehind and lookahead see the real neighbours.
 * Only matches that start inside [start, end) are reported, with offsets into `text`.
 */
export function matchesWithin(text: string, pattern: RegExp, start: number, end: number, margin: number, visit: (index: number, value: string, match: RegExpExecArray) => void): void {
  const from = Math.max(0, start - margin);
  const slice = text.slice(from, Math.min(text.length, end + margin));
  pattern.lastIndex = start - from;
  for (let m = pattern.exec(slice); m !== null; m = pattern.exec(slice)) {
    const index = m.index + from;
    if (index >= end) break;
    visit(index, m[0], m);
    if (m[0].length === 0) pattern.lastIndex++;
  }
  pattern.lastIndex = 0;
}
