import type { Candidate, Recognizer } from '../finding.js';
import { ibanValid } from '../validators.js';

// Country, check digits, then groups of four (printed) or one run (electronic); bounded.
const IBAN = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])/g;

export const ibanRecognizer: Recognizer = {
  type: 'iban',
  find(text) {
    const out: Candidate[] = [];
    IBAN.lastIndex = 0;
    for (let m = IBAN.exec(text); m !== null; m = IBAN.exec(text)) {
      if (!ibanValid(m[0].replace(/ /g, ''))) continue;
      out.push({ type: 'iban', start: m.index, end: m.index + m[0].length, score: 0.95, detector: 'mod97' });
    }
    return out;
  },
};
