import { hasContext } from '../context.js';
import type { Candidate, Recognizer } from '../finding.js';
import { forEachRun, isTokenChar } from '../scan.js';
import { aegisApiKeyValid, githubTokenValid, jwtHeaderValid, shannonEntropy } from '../validators.js';
import { privateKeyBlocks } from './private-key.js';

interface SecretFormat {
  name: string;
  /** A literal every match contains: a text without it is not scanned with the pattern. */
  marker: string;
  /**
   * Every match lies inside one run of token characters (A-Z a-z 0-9 + / _ -) at least
   * MIN_RUN long, so the pattern runs only on such runs, not over the whole text.
   */
  inTokenRun?: boolean;
  pattern: RegExp;
  /** In-run formats: the first characters a match can start with (every match starts with one of them). */
  first?: string;
  /** In-run formats: the characters a match's second character is one of. */
  second?: string;
  /** In-run formats: the length of the shortest match (a match ends inside its run, so a shorter rest of the run is not tried). */
  minLength?: number;
  score: number;
  /** Further check on the matched text; false drops the match. */
  check?: (value: string) => boolean | number;
}

// Known formats, each anchored on a distinctive prefix and bounded, so each is linear.
const FORMATS: readonly SecretFormat[] = [
  { name: 'aws_access_key', inTokenRun: true, marker: 'A', first: 'A', second: 'KSBCIRPN', minLength: 20, pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z2-7]{16}(?![A-Za-z0-9])/g, score: 0.95 },
  { name: 'github_token', inTokenRun: true, marker: 'gh', first: 'g', second: 'h', minLength: 40, pattern: /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36}(?![A-Za-z0-9_])/g, score: 0.9, check: (v) => (githubTokenValid(v) ? 0.99 : 0.9) },
  { name: 'github_pat', inTokenRun: true, marker: 'github_pat_', first: 'g', second: 'i', minLength: 93, pattern: /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{82}(?![A-Za-z0-9_])/g, score: 0.99 },
  { name: 'slack_token', inTokenRun: true, marker: 'xox', first: 'x', second: 'o', minLength: 15, pattern: /(?<![A-Za-z0-9-])xox[abposr]-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9-])/g, score: 0.95 },
  { name: 'slack_webhook', marker: 'hooks.slack.com', pattern: /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{6,12}\/B[A-Z0-9]{6,12}\/[A-Za-z0-9]{20,32}/g, score: 0.99 },
  { name: 'stripe_key', inTokenRun: true, marker: 'k_', first: 'sr', second: 'k', minLength: 24, pattern: /(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}(?![A-Za-z0-9_])/g, score: 0.95 },
  {
    name: 'openai_key',
    inTokenRun: true,
    marker: 'sk-',
    first: 's',
    second: 'k',
    minLength: 23,
    pattern: /(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-|ant-[a-z0-9]{2,10}-)?[A-Za-z0-9_-]{20,250}(?![A-Za-z0-9_-])/g,
    score: 0.9,
    // "sk-" starts ordinary words too ("sk-learn"); a key mixes cases and digits.
    check: (v) => (v.includes('T3BlbkFJ') ? 0.99 : /[0-9]/.test(v) && /[a-z]/.test(v) && /[A-Z]/.test(v)),
  },
  { name: 'google_api_key', inTokenRun: true, marker: 'AIza', first: 'A', second: 'I', minLength: 39, pattern: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g, score: 0.95 },
  {
    name: 'jwt',
    marker: 'eyJ',
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,2000}\.eyJ[A-Za-z0-9_-]{5,8000}\.[A-Za-z0-9_-]{10,2000}(?![A-Za-z0-9_-])/g,
    score: 0.95,
    check: (v) => jwtHeaderValid(v.slice(0, v.indexOf('.'))),
  },
  // Our own keys carry a CRC32: only a real one (or a perfect forgery) passes.
  { name: 'aegis_api_key', inTokenRun: true, marker: '_', first: 'abcdefghijklmnopqrstuvwxyz', second: 'abcdefghijklmnopqrstuvwxyz0123456789', minLength: 44, pattern: /(?<![A-Za-z0-9_])[a-z][a-z0-9]{1,15}_[a-z][a-z0-9]{1,15}_[0-9A-Za-z]{38}(?![A-Za-z0-9_])/g, score: 0.99, check: aegisApiKeyValid },
];

// A random-looking token is a secret only when a word like "key" or "token" stands near it.
const ENTROPY_SCORE = 0.3;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SECRET_WORDS = ['key', 'keys', 'token', 'secret', 'password', 'passwd', 'pwd', 'apikey', 'api', 'auth', 'bearer', 'credential', 'credentials', 'access', 'private'];

// The shortest in-run format (xoxb- and 10 characters) is 15 long.
const MIN_RUN = 15;
const MIN_TOKEN = 20;
const MAX_TOKEN = 256;
const EQUALS = 61;

/** 1 at the codes of `chars` (all of ASCII when undefined). */
function charTable(chars: string | undefined): Uint8Array {
  const table = new Uint8Array(128).fill(chars === undefined ? 1 : 0);
  for (const ch of chars ?? '') table[ch.charCodeAt(0)] = 1;
  return table;
}

// The shortest in-run match (a Slack token).
const SHORTEST_IN_RUN = Math.min(...FORMATS.map((f) => (f.inTokenRun === true ? f.minLength ?? 0 : Infinity)));

// In-run formats by the character code a match starts with, as sticky copies of their patterns.
// Every in-run pattern's lookbehind refuses a letter or digit before the match, so inside a run a
// match can only start at the run's start or right after one of + / _ -: only those "segment
// starts" whose first character fits are tried, instead of each pattern over each whole run.
const IN_RUN = FORMATS.map((format, index) => ({ format, index, minLength: format.minLength ?? 0, second: charTable(format.second), sticky: new RegExp(format.pattern.source, 'y') })).filter((f) => f.format.inTokenRun === true);
// Indexed by character code (all first characters are ASCII).
const BY_FIRST: (typeof IN_RUN | undefined)[] = new Array(128).fill(undefined);
for (const entry of IN_RUN) {
  for (const ch of entry.format.first ?? '') {
    const code = ch.charCodeAt(0);
    BY_FIRST[code] = [...(BY_FIRST[code] ?? []), entry];
  }
}

export const apiKeyRecognizer: Recognizer = {
  type: 'api_key',
  find(text, options) {
    const runs: number[] = [];
    forEachRun(text, isTokenChar, MIN_RUN, (start, end) => runs.push(start, end));
    // One list per format (made on its first match), joined in FORMATS order, so candidates come
    // out as with one pass per format.
    const perFormat: (Candidate[] | undefined)[] = new Array(FORMATS.length);
    // Where each in-run format may match next (a global pattern resumes after its last match).
    const resume = new Array<number>(FORMATS.length).fill(0);
    for (let r = 0; r < runs.length; r += 2) {
      const end = runs[r + 1]!;
      // No format fits in fewer than SHORTEST_IN_RUN characters before the run's end.
      for (let p = runs[r]!; p <= end - SHORTEST_IN_RUN; p++) {
        if (p !== runs[r] && !isSegmentBreak(text.charCodeAt(p - 1))) continue;
        const code = text.charCodeAt(p);
        const candidates = code < 128 ? BY_FIRST[code] : undefined;
        if (candidates === undefined) continue;
        const next = text.charCodeAt(p + 1);
        for (const { index, minLength, second, sticky } of candidates) {
          if (p < resume[index]! || end - p < minLength || next >= 128 || second[next] === 0) continue;
          sticky.lastIndex = p;
          const m = sticky.exec(text);
          if (m === null) continue;
          resume[index] = p + m[0].length;
          addMatch(perFormat, index, p, m[0]);
        }
      }
    }
    for (let f = 0; f < FORMATS.length; f++) {
      const format = FORMATS[f]!;
      if (format.inTokenRun !== true && text.includes(format.marker)) {
        format.pattern.lastIndex = 0;
        for (let m = format.pattern.exec(text); m !== null; m = format.pattern.exec(text)) addMatch(perFormat, f, m.index, m[0]);
      }
    }
    const out: Candidate[] = [];
    for (const list of perFormat) if (list !== undefined) for (const c of list) out.push(c);
    for (const block of privateKeyBlocks(text)) out.push({ type: 'api_key', ...block, score: 0.99, detector: 'pem_private_key' });
    // The random-token pattern /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{20,256}={0,2}(?![A-Za-z0-9+/=_-])/
    // can only match a whole run of token characters (20-256 long) and at most two "=" after it.
    const needsContext = options.minScore !== undefined && options.minScore > ENTROPY_SCORE;
    for (let r = 0; r < runs.length; r += 2) {
      const start = runs[r]!;
      let end = runs[r + 1]!;
      if (end - start < MIN_TOKEN || end - start > MAX_TOKEN) continue;
      let equals = 0;
      while (equals < 3 && text.charCodeAt(end + equals) === EQUALS) equals++;
      if (equals === 3 || (equals > 0 && isTokenChar(text.charCodeAt(end + equals)))) continue;
      end += equals;
      // looksRandom's first demand, read in place: most long runs are hyphenated words or paths.
      if (!hasDigitAndLetter(text, start, end)) continue;
      // Without a secret word near it the token stays under the threshold: skip the entropy work.
      if (needsContext && !hasContext(text, start, end, SECRET_WORDS)) continue;
      if (!looksRandom(text.slice(start, end))) continue;
      out.push({ type: 'api_key', start, end, score: ENTROPY_SCORE, detector: 'entropy', contextWords: SECRET_WORDS, contextBoost: 0.5 });
    }
    return out;
  },
};

/** A format's match, kept when its check passes (in the list of its format). */
function addMatch(perFormat: (Candidate[] | undefined)[], f: number, index: number, value: string): void {
  const format = FORMATS[f]!;
  const verdict = format.check?.(value) ?? true;
  if (verdict === false) return;
  const score = typeof verdict === 'number' ? verdict : format.score;
  (perFormat[f] ??= []).push({ type: 'api_key', start: index, end: index + value.length, score, detector: format.name });
}

/** Letters and digits mixed, high entropy, not a UUID, not a word with hyphens. */
function looksRandom(value: string): boolean {
  if (UUID.test(value)) return false;
  if (!/[0-9]/.test(value) || !/[A-Za-z]/.test(value)) return false;
  // Hex digests (commit ids, checksums) cap at 4 bits per character; require mixed case then.
  if (/^[0-9a-f]+$/i.test(value)) return false;
  const segments = value.split(/[-_]/);
  if (segments.length > 2 && segments.every((s) => s.length < 12)) return false;
  return shannonEntropy(value) >= 3.6;
}

/** Whether [start, end) holds an ASCII digit and an ASCII letter (as /[0-9]/ and /[A-Za-z]/ on the slice). */
function hasDigitAndLetter(text: string, start: number, end: number): boolean {
  let digit = false;
  let letter = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digit = true;
    else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) letter = true;
    if (digit && letter) return true;
  }
  return false;
}

/** + / _ - : token characters after which an in-run format may start. */
function isSegmentBreak(c: number): boolean {
  return c === 43 || c === 47 || c === 95 || c === 45;
}
