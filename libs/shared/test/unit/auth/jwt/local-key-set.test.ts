import { errors, exportJWK, type JWK } from 'jose';
import { localKeySet } from '../../../../src/auth/jwt/index.js';
import { testSigningKey, type TestSigningKey } from './token-forge.js';

let ed: TestSigningKey;
let rsa: TestSigningKey;

beforeAll(async () => {
  ed = await testSigningKey('EdDSA', 'k-ed');
  rsa = await testSigningKey('RS256', 'k-rsa');
});

const lookup = (keys: JWK[], header: { kid?: string; alg: string }) => localKeySet({ keys })(header, { payload: '', signature: '' });

test('selects the key by kid and alg, imported once', async () => {
  const resolve = localKeySet({ keys: [ed.publicJwk, rsa.publicJwk] });
  const first = await resolve({ kid: 'k-ed', alg: 'EdDSA' }, { payload: '', signature: '' });
  expect(await resolve({ kid: 'k-ed', alg: 'EdDSA' }, { payload: '', signature: '' })).toBe(first);
  expect(await resolve({ kid: 'k-rsa', alg: 'RS256' }, { payload: '', signature: '' })).not.toBe(first);
});

test.each<[string, () => JWK[], { kid?: string; alg: string }]>([
  ['an unknown kid', () => [ed.publicJwk], { kid: 'k-other', alg: 'EdDSA' }],
  ['no kid in the token', () => [ed.publicJwk], { alg: 'EdDSA' }],
  ['the right kid under another alg', () => [ed.publicJwk], { kid: 'k-ed', alg: 'ES256' }],
  ['a JWK without alg', () => [{ ...ed.publicJwk, alg: undefined }], { kid: 'k-ed', alg: 'EdDSA' }],
  ['a JWK for encryption', () => [{ ...ed.publicJwk, use: 'enc' }], { kid: 'k-ed', alg: 'EdDSA' }],
  ['a JWK whose key_ops exclude verify', () => [{ ...ed.publicJwk, key_ops: ['encrypt'] }], { kid: 'k-ed', alg: 'EdDSA' }],
  ['a symmetric JWK', () => [{ kty: 'oct', k: 'c2VjcmV0', kid: 'k-ed', alg: 'HS256' }], { kid: 'k-ed', alg: 'HS256' }],
  ['two JWKs with the same kid and alg', () => [ed.publicJwk, { ...rsa.publicJwk, kid: 'k-ed', alg: 'EdDSA' }], { kid: 'k-ed', alg: 'EdDSA' }],
  ['a JWK whose key is not of its alg', () => [{ ...rsa.publicJwk, kid: 'k-x', alg: 'EdDSA' }], { kid: 'k-x', alg: 'EdDSA' }],
])('no key for %s', async (_name, keys, header) => {
  await expect(lookup(keys(), header)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
});

test('a private JWK in the set is never used', async () => {
  const privateJwk = { ...(await exportJWK(ed.privateKey)), kid: 'k-ed', alg: 'EdDSA', use: 'sig' };
  await expect(lookup([privateJwk], { kid: 'k-ed', alg: 'EdDSA' })).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
});
