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
      const value = m[0];
      if (!groupedLikeACard(value)) continue;
      const digits = value.replace(/[ -]/g, '');
      if (cardBrand(digits) === undefined || !luhnValid(digits)) continue;
      out.push({ type: 'credit_card', start: m.index, end: m.index + value.length, score: 0.9, detector: 'luhn', contextWords: CONTEXT, contextBoost: 0.1 });
    }
    return out;
  },
};

/** Ungrouped, or one separator kind in a printed layout: 4-4-4-4(-3), Amex 4-6-5, Diners 4-6-4. */
function groupedLikeACard(value: string): boolean {
  const hasSpace = value.includes(' ');
  const hasDash = value.includes('-');
  if (!hasSpace && !hasDash) return true;
  if (hasSpace && hasDash) return false;
  const groups = value.split(hasSpace ? ' ' : '-').map((g) => g.length);
  const layout = groups.join('-');
  if (layout === '4-6-5' || layout === '4-6-4') return true;
  return groups.every((len, i) => (i < groups.length - 1 ? len === 4 : len >= 1 && len <= 4));
}
