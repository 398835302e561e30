import { createHash, createHmac, randomBytes } from 'node:crypto';
import { apiKeyDigest, digestsEqual } from '../../../src/api-keys/domain/api-key-digest.js';
import { generateApiKey } from '../../../src/api-keys/domain/api-key-format.js';

describe('apiKeyDigest', () => {
  const pepper = randomBytes(32);
  const key = generateApiKey('genxai', 'live');

  test('is HMAC-SHA-256 of the key under the pepper', () => {
    const digest = apiKeyDigest(pepper, key);
    expect(digest).toHaveLength(32);
    expect(digest.equals(createHmac('sha256', pepper).update(key).digest())).toBe(true);
    expect(apiKeyDigest(Uint8Array.from(pepper), key).equals(digest)).toBe(true);
  });

  test('is keyed: another pepper gives another digest, and neither is the plain hash', () => {
    const a = apiKeyDigest(pepper, key);
    const b = apiKeyDigest(randomBytes(32), key);
    expect(a.equals(b)).toBe(false);
    expect(a.equals(createHash('sha256').update(key).digest())).toBe(false);
    expect(a.includes(Buffer.from(key))).toBe(false);
  });

  test('differs for keys that differ in one character', () => {
    const other = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    expect(apiKeyDigest(pepper, key).equals(apiKeyDigest(pepper, other))).toBe(false);
  });
});

describe('digestsEqual', () => {
  const digest = apiKeyDigest(randomBytes(32), 'genxai_live_x');

  test('is true for equal bytes, in any container', () => {
    expect(digestsEqual(digest, Buffer.from(digest))).toBe(true);
    expect(digestsEqual(digest, new Uint8Array(digest))).toBe(true);
  });

  test('is false when any single bit differs', () => {
    for (let byte = 0; byte < digest.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = Buffer.from(digest);
        flipped[byte]! ^= 1 << bit;
        expect(digestsEqual(digest, flipped)).toBe(false);
      }
    }
  });

  test('is false (does not throw) for different lengths', () => {
    expect(digestsEqual(digest, digest.subarray(0, 31))).toBe(false);
    expect(digestsEqual(digest, Buffer.concat([digest, Buffer.alloc(1)]))).toBe(false);
    expect(digestsEqual(new Uint8Array(0), digest)).toBe(false);
  });
});
