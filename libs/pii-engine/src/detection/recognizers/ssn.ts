import type { Candidate, Recognizer } from '../finding.js';
import { ssnValid } from '../validators.js';

const SSN = /(?<![\w-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w-]|\.\d)/g;
const CONTEXT = ['ssn', 'ssns', 'social security', 'social sec', 'ss#', 'ss no', 'taxpayer', 'tin', 'itin'];

export const ssnRecognizer: Recognizer = {
  type: 'ssn',
  find(text) {
    const out: Candidate[] = [];
    SSN.lastIndex = 0;
    for (let m = SSN.exec(text); m !== null; m = SSN.exec(text)) {
      const [value, area = '', separator = '', group = '', serial = ''] = m;
      if (!ssnValid(area, group, serial)) continue;
      // "123-45-6789" is an SSN's own layout; nine bare digits could be anything.
      const score = separator === '-' ? 0.85 : separator === ' ' ? 0.5 : 0.3;
      // Bare digits need the word right before them; a formatted SSN may have it further off.
      const window = separator === '' ? { contextWindow: 20, contextWindowAfter: 0 } : {};
      out.push({ type: 'ssn', start: m.index, end: m.index + value.length, score, detector: 'ssn_rules', contextWords: CONTEXT, contextBoost: 0.4, ...window });
    }
    return out;
  },
};
