import { randomBytes } from 'node:crypto';
import { generateKeyringSpec, needsReseal, openSealed, parseKeyring, seal, SecretBoxError } from '../../../src/crypto/index.js';

const secret = Buffer.from('-----BEGIN PRIVATE KEY----- not really');

test('seal then open returns the plaintext; every seal uses a fresh IV', () => {
  const keyring = parseKeyring(generateKeyringSpec('k1'));
  const a = seal(keyring, secret, 'signing_key:abc');
  const b = seal(keyring, secret, 'signing_key:abc');
  expect(a).not.toBe(b);
  expect(a.startsWith('v1.k1.')).toBe(true);
  expect(openSealed(keyring, a, 'signing_key:abc')).toEqual(secret);
  expect(a).not.toContain(secret.toString('base64url'));
});

test('a value sealed for one place does not open in another (associated data)', () => {
  const keyring = parseKeyring(generateKeyringSpec());
  const sealed = seal(keyring, secret, 'signing_key:abc');
  expect(() => openSealed(keyring, sealed, 'signing_key:other')).toThrow(SecretBoxError);
});

test('tampering with any part is detected', () => {
  const keyring = parseKeyring(generateKeyringSpec());
  const sealed = seal(keyring, secret, 'ctx');
  const parts = sealed.split('.');
  const body = Buffer.from(parts[3]!, 'base64url');
  body[0] = body[0]! ^ 1;
  expect(() => openSealed(keyring, [parts[0], parts[1], parts[2], body.toString('base64url')].join('.'), 'ctx')).toThrow(SecretBoxError);
  expect(() => openSealed(keyring, sealed.replace('v1.', 'v2.'), 'ctx')).toThrow(SecretBoxError);
  expect(() => openSealed(keyring, 'v1.k1.short.x', 'ctx')).toThrow(SecretBoxError);
});

test('rotation: new values use the first key, old values still open with theirs', () => {
  const old = `old:${randomBytes(32).toString('base64')}`;
  const before = parseKeyring(old);
  const sealedBefore = seal(before, secret, 'ctx');
  const after = parseKeyring(`new:${randomBytes(32).toString('base64')},${old}`);
  expect(openSealed(after, sealedBefore, 'ctx')).toEqual(secret);
  expect(needsReseal(after, sealedBefore)).toBe(true);
  expect(needsReseal(after, seal(after, secret, 'ctx'))).toBe(false);
  expect(() => openSealed(parseKeyring(generateKeyringSpec('other')), sealedBefore, 'ctx')).toThrow(/no key "old"/);
});

test('keyring errors name the key id, never the key', () => {
  const short = randomBytes(16).toString('base64');
  expect(() => parseKeyring(`k1:${short}`)).toThrow('key "k1" must be base64 of exactly 32 bytes');
  try {
    parseKeyring(`k1:${short}`);
  } catch (err) {
    expect(String(err)).not.toContain(short);
  }
  expect(() => parseKeyring('')).toThrow(/empty/);
  expect(() => parseKeyring(`bad id:${randomBytes(32).toString('base64')}`)).toThrow(/key id/);
  const dup = randomBytes(32).toString('base64');
  expect(() => parseKeyring(`a:${dup},a:${dup}`)).toThrow(/twice/);
});
