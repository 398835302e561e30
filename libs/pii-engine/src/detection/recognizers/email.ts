import type { Candidate, Recognizer } from '../finding.js';

// Anchored on "@" (indexOf, not a regex over every word): the run of local-part characters
// before it and of domain characters after it are read once, then one anchored pattern checks
// the shape. Linear, and fast on text without e-mail addresses.
const SHAPE = /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?){0,8}\.[A-Za-z]{2,24}$/;
const MAX_DOMAIN = 253;

export const emailRecognizer: Recognizer = {
  type: 'email',
  find(text) {
    const out: Candidate[] = [];
    for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
      let start = at;
      while (start > 0 && isLocal(text.charCodeAt(start - 1))) start--;
      if (at - start < 1 || at - start > 64) continue;
      let end = at + 1;
      while (end < text.length && end - at <= MAX_DOMAIN && isDomain(text.charCodeAt(end))) end++;
      if (end - at > MAX_DOMAIN) continue;
      // Sentence punctuation after the address is not part of it.
      while (end > at + 1 && (text[end - 1] === '.' || text[end - 1] === '-')) end--;
      const value = text.slice(start, end);
      const local = value.slice(0, at - start);
      // RFC 5322 dot-atoms: no leading, trailing or doubled dots.
      if (local.startsWith('.') || local.endsWith('.') || local.includes('..') || !SHAPE.test(value)) continue;
      out.push({ type: 'email', start, end, score: 0.95, detector: 'email_syntax' });
    }
    return out;
  },
};

function isLocal(c: number): boolean {
  return isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45; // . _ % + -
}

function isDomain(c: number): boolean {
  return isAlnum(c) || c === 46 || c === 45;
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
