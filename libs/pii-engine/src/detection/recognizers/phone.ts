import type { Candidate, Recognizer } from '../finding.js';
import { hasContext } from '../context.js';
import { checkPhoneNumber } from '../phone-numbers.js';

// Candidates are digit groups with single separators (no two ways to split a run, so the
// pattern cannot backtrack badly); libphonenumber then decides. A number written with a country
// code or in a phone-like layout is likely a phone; bare digits (order numbers) need context.
const CANDIDATE = /(?<![\w+@./:#-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,14}(?:[ .-]\d{1,14}){0,5}(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\w@]|[.:/-]\d)/g;
const NANP_LAYOUT = /^(?:\+?1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}$/;
const DOTTED_NANP = /^\d{3}\.\d{3}\.\d{4}$/;
const DATE_LIKE = /^(?:19|20)\d\d[ .-](?:0?[1-9]|1[0-2])[ .-]\d{1,2}\b/;
const BARE_SCORE = 0.4;
const CONTEXT_BOOST = 0.35;
const CONTEXT = ['phone', 'tel', 'telephone', 'mobile', 'cell', 'call', 'fax', 'contact', 'whatsapp', 'sms', 'text', 'reach', 'ph', 'landline', 'dial'];

export const phoneRecognizer: Recognizer = {
  type: 'phone',
  find(text, options) {
    const out: Candidate[] = [];
    const nanp = options.defaultRegion === 'US' || options.defaultRegion === 'CA';
    CANDIDATE.lastIndex = 0;
    for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
      const value = m[0];
      const digits = countDigits(value);
      if (digits < 7 || digits > 17 || DATE_LIKE.test(value)) continue;
      // NANP numbers written without a country code have 10 digits (11 with the trunk 1): skip the parse for the rest.
      if (nanp && !value.startsWith('+') && digits !== 10 && !(digits === 11 && value.startsWith('1'))) continue;
      // Dots separate phone groups only in the 3.3.4 layout; otherwise it is an address or a version.
      if (value.includes('.') && !value.startsWith('+') && !DOTTED_NANP.test(value)) continue;
      const formatted = value.startsWith('+') || /[ .()-]/.test(value);
      // Bare digits score at most BARE_SCORE without a context word: when that cannot reach the
      // threshold, look for the word first and skip libphonenumber (the costly part) without it.
      if (!formatted && options.minScore !== undefined && options.minScore > BARE_SCORE && !hasContext(text, m.index, m.index + value.length, CONTEXT)) continue;
      const checked = checkPhoneNumber(value, options.defaultRegion);
      if (checked === undefined) continue;
      let score: number;
      let detector = 'libphonenumber';
      if (checked.valid) score = formatted ? 0.8 : BARE_SCORE;
      else if (checked.possible && NANP_LAYOUT.test(value)) {
        // "555-123-4567": not an assigned range, but written as a phone number.
        score = 0.5;
        detector = 'libphonenumber:possible';
      } else continue;
      out.push({ type: 'phone', start: m.index, end: m.index + value.length, score, detector, contextWords: CONTEXT, contextBoost: CONTEXT_BOOST });
    }
    return out;
  },
};

function countDigits(value: string): number {
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}
