import type { Candidate, Recognizer } from '../finding.js';
import { matchesWithin } from '../scan.js';
import { birthDateValid } from '../validators.js';
import { birthStemStarts } from './birth-stems.js';

// Any date is only a date; next to "date of birth", "DOB" or "born" it is personal data.
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_NAME = '(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\\.?';
const ISO = /(?<![\w/.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w/-]|\.\d)/g;
const NUMERIC = /(?<![\w/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?![\w/-]|\.\d)/g;
const DAY_MONTH_YEAR = new RegExp(`(?<![\\w])(\\d{1,2})(?:st|nd|rd|th)? ${MONTH_NAME},? (\\d{4})(?!\\w)`, 'gi');
const MONTH_DAY_YEAR = new RegExp(`(?<![\\w])${MONTH_NAME} (\\d{1,2})(?:st|nd|rd|th)?,? (\\d{4})(?!\\w)`, 'gi');
const CONTEXT = ['dob', 'd.o.b', 'date of birth', 'birth date', 'birthdate', 'birthday', 'born', 'birth', 'geboren', 'né', 'née'];
// Every context word contains one of these; the word must end before the date and start at most
// CONTEXT_WINDOW characters before it, so a date that can become a finding starts within
// CONTEXT_WINDOW characters after a stem (birth-stems.ts: dob, d.o.b, birth, born, geboren, né).
const BASE_SCORE = 0.2;
const CONTEXT_WINDOW = 24;
// Longer than any date the patterns match plus their two characters of lookahead.
const MARGIN = 32;

export const dateOfBirthRecognizer: Recognizer = {
  type: 'date_of_birth',
  find(text, options) {
    const out: Candidate[] = [];
    // A date without a context word stays under any threshold above its base score: scan only
    // after the stems then (most text has none), else the whole text.
    const windows = options.minScore !== undefined && options.minScore > BASE_SCORE ? stemWindows(text) : [0, text.length];
    if (windows.length === 0) return out;
    for (const { pattern, valid } of FORMATS) {
      for (let w = 0; w < windows.length; w += 2) {
        matchesWithin(text, pattern, windows[w]!, windows[w + 1]!, MARGIN, (index, value, m) => {
          if (valid(m)) out.push(candidate(index, value.length));
        });
      }
    }
    return out;
  },
};

// The date layouts in the order their candidates are reported, each with its calendar check.
const FORMATS: readonly { pattern: RegExp; valid: (m: RegExpExecArray) => boolean }[] = [
  { pattern: ISO, valid: (m) => birthDateValid(+m[1]!, +m[2]!, +m[3]!) },
  { pattern: NUMERIC, valid: (m) => birthDateValid(+m[4]!, +m[1]!, +m[3]!) || birthDateValid(+m[4]!, +m[3]!, +m[1]!) },
  { pattern: DAY_MONTH_YEAR, valid: (m) => birthDateValid(+m[3]!, monthOf(m[2]!), +m[1]!) },
  { pattern: MONTH_DAY_YEAR, valid: (m) => birthDateValid(+m[3]!, monthOf(m[1]!), +m[2]!) },
];

function candidate(index: number, length: number): Candidate {
  return { type: 'date_of_birth', start: index, end: index + length, score: BASE_SCORE, detector: 'date', contextWords: CONTEXT, contextBoost: 0.65, contextWindow: CONTEXT_WINDOW, contextWindowAfter: 0 };
}

/** Disjoint [start, end) pairs where a date following a context word can start. */
function stemWindows(text: string): number[] {
  const windows: number[] = [];
  for (const start of birthStemStarts(text)) {
    const end = Math.min(text.length, start + CONTEXT_WINDOW + 1);
    if (windows.length > 0 && start <= windows[windows.length - 1]!) windows[windows.length - 1] = end;
    else windows.push(start, end);
  }
  return windows;
}

function monthOf(name: string): number {
  return MONTHS.indexOf(name.slice(0, 3).toLowerCase()) + 1;
}
