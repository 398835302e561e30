import { BASE62_ALPHABET, encodeBase62, isBase62, randomBase62 } from '../../../src/api-keys/domain/base62.js';

/** The inverse of encodeBase62, written independently so the round trip checks the encoding. */
function decodeBase62(text: string): number {
  let value = 0;
  for (const ch of text) value = value * 62 + BASE62_ALPHABET.indexOf(ch);
  return value;
}

describe('base62 alphabet', () => {
  test('is 62 distinct characters: digits, upper case, lower case, in ASCII order', () => {
    expect(BASE62_ALPHABET).toHaveLength(62);
    expect(new Set(BASE62_ALPHABET).size).toBe(62);
    expect([...BASE62_ALPHABET].sort().join('')).toBe(BASE62_ALPHABET);
    expect(BASE62_ALPHABET).toMatch(/^[0-9A-Za-z]+$/);
  });
});

describe('encodeBase62', () => {
  test.each([
    [0, 1, '0'],
    [0, 6, '000000'],
    [9, 1, '9'],
    [10, 1, 'A'],
    [36, 1, 'a'],
    [61, 1, 'z'],
    [62, 2, '10'],
    [62 * 62 - 1, 2, 'zz'],
    [62 * 62, 3, '100'],
  ])('%d in %d characters is %s', (value, width, expected) => {
    expect(encodeBase62(value, width)).toBe(expected);
  });

  test('left-pads to the width', () => {
    expect(encodeBase62(61, 6)).toBe('00000z');
  });

  test('every CRC32 value fits in 6 characters and decodes back', () => {
    for (const value of [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 3_735_928_559, 123_456_789]) {
      const encoded = encodeBase62(value, 6);
      expect(encoded).toHaveLength(6);
      expect(decodeBase62(encoded)).toBe(value);
    }
  });

  test('refuses a value wider than the width', () => {
    expect(() => encodeBase62(62, 1)).toThrow(RangeError);
    expect(() => encodeBase62(62 ** 6, 6)).toThrow(RangeError);
    expect(encodeBase62(62 ** 6 - 1, 6)).toBe('zzzzzz');
  });

  test.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('refuses %p', (value) => {
    expect(() => encodeBase62(value, 12)).toThrow(RangeError);
  });
});

describe('isBase62', () => {
  test.each(['', '0', 'abcXYZ019', BASE62_ALPHABET])('accepts %p', (text) => {
    expect(isBase62(text)).toBe(true);
  });

  test.each(['_', '-', ' ', 'abc def', 'abc\n', 'é', '+/=', 'abc_'])('rejects %p', (text) => {
    expect(isBase62(text)).toBe(false);
  });
});

describe('randomBase62', () => {
  test('has the requested length and only alphabet characters', () => {
    for (const length of [0, 1, 32, 100]) {
      const text = randomBase62(length);
      expect(text).toHaveLength(length);
      expect(isBase62(text)).toBe(true);
    }
  });

  test('draws every character about equally often', () => {
    const counts = new Map<string, number>();
    const draws = 62 * 1_000;
    for (const ch of randomBase62(draws)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // Expected 1000 each, standard deviation about 31: a bound of ±250 never fails by chance
    // but catches a biased draw (e.g. `byte % 62`, which makes the first 8 characters 25% likelier).
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(750);
      expect(count).toBeLessThan(1_250);
    }
  });
});
