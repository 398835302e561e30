import { isIP } from 'node:net';
import { detect, EMPTY_POLICY } from '../../../src/detection/index.js';
import { RECOGNIZERS } from '../../../src/detection/recognizers/index.js';
import { birthStemStarts } from '../../../src/detection/recognizers/birth-stems.js';
import { CueSearch } from '../../../src/detection/recognizers/person-cues.js';
import { forEachRun, isTokenChar, matchesWithin } from '../../../src/detection/scan.js';

// The recognizers run their patterns only where a cheap pre-scan says a match can be (runs of
// token characters, the scheme before "://", runs holding ":", text after a birth word) and skip
// weak candidates that cannot reach the threshold. These tests pin down that the shortcuts do
// not lose what the full scan finds.

describe('pre-scan helpers', () => {
  test('forEachRun reports maximal runs at least minLength long', () => {
    const runs: string[] = [];
    forEachRun('ab cdefg+/_-h, xyz', isTokenChar, 4, (s, e) => runs.push('ab cdefg+/_-h, xyz'.slice(s, e)));
    expect(runs).toEqual(['cdefg+/_-h']);
  });

  test('forEachRun finds the same runs as a character-by-character scan (random texts, every length)', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const naive = (text: string, min: number) => {
      const out: number[] = [];
      for (let i = 0; i < text.length; ) {
        if (!isTokenChar(text.charCodeAt(i))) {
          i++;
          continue;
        }
        const start = i;
        while (i < text.length && isTokenChar(text.charCodeAt(i))) i++;
        if (i - start >= min) out.push(start, i);
      }
      return out;
    };
    for (let t = 0; t < 300; t++) {
      const text = Array.from({ length: Math.floor(next() * 120) }, () => (next() < 0.12 ? ' ' : 'aZ9+/_-'[Math.floor(next() * 7)])).join('');
      for (const min of [1, 2, 5, 15, 20]) {
        const got: number[] = [];
        forEachRun(text, isTokenChar, min, (s, e) => got.push(s, e));
        expect(got).toEqual(naive(text, min));
      }
    }
  });

  test('matchesWithin sees the real neighbours of the span (lookbehind and lookahead)', () => {
    const text = 'xAKIAABCDEFGHIJKLMNOP AKIAABCDEFGHIJKLMNOP';
    const found: number[] = [];
    const pattern = /(?<![A-Za-z0-9])AKIA[A-Z2-7]{16}(?![A-Za-z0-9])/g;
    matchesWithin(text, pattern, 0, 21, 1, (i) => found.push(i));
    matchesWithin(text, pattern, 22, text.length, 1, (i) => found.push(i));
    expect(found).toEqual([22]);
  });
});

// A small seeded generator of texts built from `pieces`, for comparing a shortcut with the regex it replaces.
function randomTexts(count: number, pieces: readonly string[], seed: number): string[] {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: count }, () => Array.from({ length: Math.floor(next() * 14) }, () => pieces[Math.floor(next() * pieces.length)]).join(''));
}

describe('anchored searches give the matches of the regexes they replace', () => {
  test('birth words: the match starts of /dob|d\\.o\\.b|birth|born|geboren|né/gi', () => {
    const regex = /dob|d\.o\.b|birth|born|geboren|né/gi;
    const pieces = ['d', 'o', 'b', '.', 'D', 'O', 'B', 'birth', 'BoRn', 'geboren', 'GEBOREN', 'n', 'é', 'É', 'N', ' ', 'ı', 'İ', 'x', 'dob', 'd.o.b', 'r', 'e', 'g'];
    for (const text of randomTexts(5000, pieces, 11)) {
      expect(birthStemStarts(text)).toEqual([...text.matchAll(regex)].map((m) => m.index));
    }
  });

  test('person cues: the matches of the literal alternation with its lookahead, resumed the same way', () => {
    const literals = ['Mrs', 'Mr', 'Ms', 'Dr', 'Rev', 'my name is', 'My name is', 'name is', 'Name is', 'name:', 'signed,', 'signed', 'Signed', 'attn:', 'attn', 'cc:', 'CC:', 'Cc:', 'Reviewed by'].sort((a, b) => b.length - a.length);
    const regex = new RegExp(`(?:${literals.map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?=[. \\t\\n])`, 'g');
    const search = new CueSearch(literals);
    const pieces = ['Mr', 'MR', 'mr', 's', 'S', ' ', '.', '\t', '\n', ',', ':', 'my ', 'My ', 'MY ', 'name', 'NAME', ' is', 'signed', 'SIGNED', 'attn', 'cc', 'CC', 'Cc', 'Rev', 'iewed by', 'x', 'D', 'r'];
    let matches = 0;
    for (const text of randomTexts(5000, pieces, 3)) {
      // Resumed from one past a match, as the recognizer does when a cue is not followed by a name.
      const expected: [number, string][] = [];
      for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
        expected.push([m.index, m[0]]);
        regex.lastIndex = m.index + 1;
      }
      const found: [number, string][] = [];
      for (let m = search.next(text, 0); m !== null; m = search.next(text, m.index + 1)) found.push([m.index, m.literal]);
      expect(found).toEqual(expected);
      matches += found.length;
    }
    expect(matches).toBeGreaterThan(500);
  });

  test('IPv4 at the digits before each dot: the valid matches of the global pattern (a match that is not valid still hides what overlaps it)', () => {
    const regex = /(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w]|\.\d)/g;
    const pieces = ['1', '12', '255', '256', '1234', '.', '..', ' ', 'a', '_', '-', '10.0.0.1', '.5', ':'];
    for (const text of randomTexts(5000, pieces, 5)) {
      const expected = [...text.matchAll(regex)].filter((m) => isIP(m[0]) === 4).map((m) => [m.index, m.index + m[0].length]);
      const found = RECOGNIZERS.get('ip_address')!.find(text, { defaultRegion: 'US' }).filter((c) => c.detector === 'ipv4_octets');
      expect(found.map((c) => [c.start, c.end])).toEqual(expected);
    }
  });
});

describe('shortcuts keep what the full scan finds', () => {
  test('keys inside longer token runs, after "-" and before "="', () => {
    const aws = 'AKIAIOSFODNN7EXAMPLE';
    expect(detect(`id=${aws}`, EMPTY_POLICY)).toMatchObject([{ type: 'api_key', detector: 'aws_access_key' }]);
    expect(detect(`x${aws}`, EMPTY_POLICY)).toEqual([]);
    const token = 'Zt9qLm3Xv8Rw2Kp7Yd4Hs6Nb1Jc5Fg0Q';
    expect(detect(`api token: ${token}==`, EMPTY_POLICY)).toMatchObject([{ type: 'api_key', start: 11, end: 11 + token.length + 2, detector: 'entropy+context' }]);
    expect(detect(`api token: ${token}===`, EMPTY_POLICY)).toEqual([]);
  });

  test('a credentialed URL after other URLs and a long scheme-like run', () => {
    const text = 'see https://example.org/a and a-very-long-scheme-name-here://x:y@z then postgres://app:s3cret@db.internal:5432/main.';
    const found = detect(text, EMPTY_POLICY).filter((f) => f.type === 'url_with_credentials');
    expect(found.map((f) => text.slice(f.start, f.end))).toEqual(['postgres://app:s3cret@db.internal:5432/main']);
  });

  test('IPv6 after a word character is not one; after a space it is', () => {
    expect(detect('g2001:db8::8a2e:370:7334', EMPTY_POLICY, { types: ['ip_address'] })).toEqual([]);
    const text = 'time 10:30, host 2001:db8::8a2e:370:7334 up';
    const [f] = detect(text, EMPTY_POLICY, { types: ['ip_address'] });
    expect(text.slice(f!.start, f!.end)).toBe('2001:db8::8a2e:370:7334');
  });

  test('dates are scanned after birth words only when an unrelated date could not reach the threshold', () => {
    const text = 'Meeting on 2001-02-03. DOB: March 5, 1990. Born 1/2/1985.';
    expect(detect(text, EMPTY_POLICY).map((f) => text.slice(f.start, f.end))).toEqual(['March 5, 1990', '1/2/1985']);
    // With a threshold at the base score every date is a finding, as before.
    expect(detect(text, EMPTY_POLICY, { minScore: 0.2 }).map((f) => text.slice(f.start, f.end))).toEqual(['2001-02-03', 'March 5, 1990', '1/2/1985']);
    // Called without a threshold, the recognizer reports every date.
    expect(RECOGNIZERS.get('date_of_birth')!.find(text, { defaultRegion: 'US' })).toHaveLength(3);
  });

  test('bare phone digits are parsed only with a context word unless the threshold allows them', () => {
    expect(detect('order 4155552671 shipped', EMPTY_POLICY, { types: ['phone'] })).toEqual([]);
    expect(detect('call 4155552671 today', EMPTY_POLICY, { types: ['phone'] })).toMatchObject([{ type: 'phone', detector: 'libphonenumber+context' }]);
    expect(detect('order 4155552671 shipped', EMPTY_POLICY, { types: ['phone'], minScore: 0.4 })).toMatchObject([{ type: 'phone', score: 0.4 }]);
  });
});
