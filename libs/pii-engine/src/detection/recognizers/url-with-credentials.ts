import type { Candidate, Recognizer } from '../finding.js';

// scheme://user:password@host...: the whole URL is the finding (redacting only the password
// would still leave the user name and host together).
// Sticky: tried only at the scheme in front of each "://" (found with indexOf), not at every position.
const URL_WITH_CREDENTIALS = /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/[^\s/?#@:]{1,256}:[^\s/?#@]{1,256}@[^\s/?#@]{1,256}(?:[/?#][^\s]{0,2048})?/y;
const MAX_SCHEME = 21;

export const urlWithCredentialsRecognizer: Recognizer = {
  type: 'url_with_credentials',
  find(text) {
    const out: Candidate[] = [];
    for (let at = text.indexOf('://'); at >= 0; at = text.indexOf('://', at)) {
      // The pattern's lookbehind lets a match start only where the run of scheme characters before "://" starts.
      let start = at;
      while (start > 0 && at - start <= MAX_SCHEME && isSchemeChar(text.charCodeAt(start - 1))) start--;
      URL_WITH_CREDENTIALS.lastIndex = start;
      const m = at - start <= MAX_SCHEME ? URL_WITH_CREDENTIALS.exec(text) : null;
      if (m === null) {
        at += 3;
        continue;
      }
      at = start + m[0].length;
      // Sentence punctuation after a URL is not part of it.
      const value = m[0].replace(/[.,;:!?)\]}'"]+$/, '');
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        continue;
      }
      if (url.username === '' || url.password === '') continue;
      out.push({ type: 'url_with_credentials', start, end: start + value.length, score: 0.95, detector: 'url_userinfo' });
    }
    return out;
  },
};

function isSchemeChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 46 || c === 45; // + . -
}
