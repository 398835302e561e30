import {
  apiKeyHint,
  assertKeyLabel,
  CHECKSUM_LENGTH,
  generateApiKey,
  parseApiKey,
  RANDOM_LENGTH,
} from '../../../src/api-keys/domain/api-key-format.js';
import { BASE62_ALPHABET } from '../../../src/api-keys/domain/base62.js';

const KEY_SHAPE = /^genxai_live_[0-9A-Za-z]{38}$/;
const LABELS_LENGTH = 'genxai_live_'.length;

function randomPart(key: string): string {
  const body = key.slice(key.lastIndexOf('_') + 1);
  return body.slice(0, RANDOM_LENGTH);
}

describe('generateApiKey', () => {
  test('has the documented shape and length', () => {
    const key = generateApiKey('genxai', 'live');
    expect(RANDOM_LENGTH).toBe(32);
    expect(CHECKSUM_LENGTH).toBe(6);
    expect(key).toMatch(KEY_SHAPE);
    expect(key).toHaveLength(LABELS_LENGTH + 38);
  });

  test('parses back into its labels and body', () => {
    const key = generateApiKey('acme', 'test');
    expect(parseApiKey(key)).toEqual({ ok: true, parts: { prefix: 'acme', environment: 'test', body: key.slice('acme_test_'.length) } });
  });

  test.each([
    ['prefix', 'Genxai', 'live'],
    ['prefix', 'g', 'live'],
    ['prefix', 'x'.repeat(17), 'live'],
    ['prefix', '1genxai', 'live'],
    ['prefix', 'gen_xai', 'live'],
    ['prefix', 'gen-xai', 'live'],
    ['prefix', '', 'live'],
    ['environment', 'genxai', 'LIVE'],
    ['environment', 'genxai', 'l'],
    ['environment', 'genxai', 'li_ve'],
    ['environment', 'genxai', ''],
  ])('refuses a bad %s (%p, %p)', (kind, prefix, environment) => {
    expect(() => generateApiKey(prefix, environment)).toThrow(new RegExp(`api key ${kind} must match`));
  });

  test('accepts labels at both length limits', () => {
    expect(() => assertKeyLabel('prefix', 'ab')).not.toThrow();
    expect(() => assertKeyLabel('environment', `e${'9'.repeat(15)}`)).not.toThrow();
    expect(parseApiKey(generateApiKey('ab', `e${'9'.repeat(15)}`)).ok).toBe(true);
  });

  test('never repeats over many keys, and uses the whole alphabet', () => {
    const keys = Array.from({ length: 5_000 }, () => generateApiKey('genxai', 'live'));
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(keys.map(randomPart)).size).toBe(keys.length);
    const seen = new Set(keys.map(randomPart).join(''));
    expect([...BASE62_ALPHABET].filter((ch) => !seen.has(ch))).toEqual([]);
  });
});

describe('parseApiKey', () => {
  const sample = Array.from({ length: 12 }, () => generateApiKey('genxai', 'live'));

  test('the checksum catches every single-character substitution in the body', () => {
    let substitutions = 0;
    for (const key of sample) {
      for (let i = LABELS_LENGTH; i < key.length; i++) {
        for (const ch of BASE62_ALPHABET) {
          if (ch === key[i]) continue;
          const altered = key.slice(0, i) + ch + key.slice(i + 1);
          const result = parseApiKey(altered);
          if (result.ok || result.reason !== 'bad_checksum') throw new Error(`substitution at ${i} by ${ch} was not caught: ${JSON.stringify(result)}`);
          substitutions++;
        }
      }
    }
    expect(substitutions).toBe(sample.length * 38 * 61);
  });

  test('the checksum covers the labels: a key cannot be moved to another prefix or environment', () => {
    for (const key of sample) {
      const body = key.slice(LABELS_LENGTH);
      expect(parseApiKey(`genxai_test_${body}`)).toEqual({ ok: false, reason: 'bad_checksum' });
      expect(parseApiKey(`genxai_livf_${body}`)).toEqual({ ok: false, reason: 'bad_checksum' });
      expect(parseApiKey(`genxay_live_${body}`)).toEqual({ ok: false, reason: 'bad_checksum' });
    }
  });

  test('swapping two adjacent characters is caught', () => {
    for (const key of sample) {
      for (let i = LABELS_LENGTH; i < key.length - 1; i++) {
        if (key[i] === key[i + 1]) continue;
        const swapped = key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2);
        expect(parseApiKey(swapped).ok).toBe(false);
      }
    }
  });

  const key = generateApiKey('genxai', 'live');
  test.each([
    ['empty', ''],
    ['no separators', key.replaceAll('_', '')],
    ['an extra separator', `genxai_live_x_${key.slice(LABELS_LENGTH)}`],
    ['a missing character', key.slice(0, -1)],
    ['an extra character', `${key}0`],
    ['a non-base62 character in the body', `${key.slice(0, -1)}-`],
    ['surrounding whitespace', ` ${key}`],
    ['a trailing newline', `${key}\n`],
    ['upper-case labels', key.replace('genxai_live', 'GENXAI_LIVE')],
    ['an empty prefix', key.slice('genxai'.length)],
    ['a bearer scheme', `Bearer ${key}`],
  ])('%s is malformed', (_what, presented) => {
    expect(parseApiKey(presented)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('apiKeyHint', () => {
  test('shows the labels and the last 4 characters only', () => {
    const key = generateApiKey('genxai', 'live');
    const hint = apiKeyHint(key);
    expect(hint).toBe(`genxai_live_…${key.slice(-4)}`);
    // No run of 5 characters of the secret part survives into the hint.
    const secret = key.slice(LABELS_LENGTH);
    for (let i = 0; i + 5 <= secret.length; i++) expect(hint).not.toContain(secret.slice(i, i + 5));
  });
});
