// Context words: a weak match (nine bare digits, a long random-looking token) becomes a finding
// when words like "ssn" or "api key" stand near it, as in Presidio's context enhancer. Only a
// bounded window is read, so the cost per candidate is constant.

export const CONTEXT_WINDOW = 40;

/** Whether one of `words` (lowercase) appears within the window before `start` or after `end`. */
export function hasContext(text: string, start: number, end: number, words: readonly string[], window = CONTEXT_WINDOW, windowAfter = Math.floor(window / 2)): boolean {
  if (words.length === 0) return false;
  const before = text.slice(Math.max(0, start - window), start).toLowerCase();
  const after = windowAfter > 0 ? text.slice(end, Math.min(text.length, end + windowAfter)).toLowerCase() : '';
  for (const word of words) {
    if (containsWord(before, word) || (after !== '' && containsWord(after, word))) return true;
  }
  return false;
}

/** `word` as a whole word (or word sequence): "pin" is not in "spinning". */
function containsWord(haystack: string, word: string): boolean {
  let from = 0;
  for (;;) {
    const at = haystack.indexOf(word, from);
    if (at < 0) return false;
    const end = at + word.length;
    if (!isWordChar(haystack.charCodeAt(at - 1)) && !isWordChar(haystack.charCodeAt(end))) return true;
    from = at + 1;
  }
}

function isWordChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 122) || (code >= 65 && code <= 90);
}
