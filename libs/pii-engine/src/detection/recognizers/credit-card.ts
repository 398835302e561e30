import type { Candidate, Recognizer } from '../finding.js';
import { cardBrand, luhnValid } from '../validators.js';

// One digit, then 11-18 more each optionally preceded by one space or dash: a single way to
// read any input, so no catastrophic backtracking.
const CARD = /(?<![\w-])\d(?:[ -]?\d){11,18}(?![\w-]|\.\d)/g;
const CONTEXT = ['card', 'credit', 'debit', 'visa', 'mastercard', 'amex', 'cc', 'payment', 'pan'];

export const creditCardRecognizer: Recognizer = {
  type: 'credit_card',
  find(text) {
    const out: Candidate[] = [];
    CARD.lastIndex = 0;
    for (let m = CARD.exec(text); m !== null; m = CARD.exec(text)) {
      const start = m.index;
      const end = start + m[0].length;
      // Most matches are long digit runs of other kinds (order and tracking numbers): the layout
      // and the brand's prefix and length are read in place, the digits copied only for Luhn.
      if (!groupedLikeACard(text, start, end)) continue;
      const digits = countDigits(text, start, end);
      if (!cardBrandPossible(text.charCodeAt(start), digits)) continue;
      const compact = digits === end - start ? m[0] : m[0].replace(/[ -]/g, '');
      if (cardBrand(compact) === undefined || !luhnValid(compact)) continue;
      out.push({ type: 'credit_card', start, end, score: 0.9, detector: 'luhn', contextWords: CONTEXT, contextBoost: 0.1 });
    }
    return out;
  },
};

const SPACE = 32;
const DASH = 45;

/**
 * Ungrouped, or one separator kind in a printed layout: 4-4-4-4(-3), Amex 4-6-5, Diners 4-6-4.
 * The match alternates digits with single separators, so groups are the runs between them.
 */
function groupedLikeACard(text: string, start: number, end: number): boolean {
  let separator = 0;
  // Group lengths: the first three (for 4-6-5 and 4-6-4) and whether all but the last are 4 long.
  let groups = 0;
  let length = 0;
  let first = 0;
  let second = 0;
  let allFour = true;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== SPACE && c !== DASH) {
      length++;
      continue;
    }
    if (separator === 0) separator = c;
    else if (c !== separator) return false;
    if (groups === 0) first = length;
    else if (groups === 1) second = length;
    if (length !== 4) allFour = false;
    groups++;
    length = 0;
  }
  if (separator === 0) return true;
  // The last group.
  if (groups === 2 && first === 4 && second === 6 && (length === 5 || length === 4)) return true;
  return allFour && length >= 1 && length <= 4;
}

function countDigits(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/** A quick no: every brand in cardBrand issues 12-19 digit numbers starting with 2-6. */
function cardBrandPossible(firstDigit: number, digits: number): boolean {
  return firstDigit >= 50 && firstDigit <= 54 && digits >= 12 && digits <= 19;
}
