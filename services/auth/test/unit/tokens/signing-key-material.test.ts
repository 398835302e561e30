import { calculateJwkThumbprint, createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { generateKeyringSpec, parseKeyring, SecretBoxError } from '@aegis/shared';
import { generateSigningKey, openSigningKey, publicJwkOf, sealedKeyContext } from '../../../src/tokens/signing-key-material.js';
import { SIGNING_ALGORITHMS } from '../../../src/tokens/domain/signing-algorithms.js';

const keyring = parseKeyring(generateKeyringSpec('k1'));
const times = { now: new Date('2026-01-30T10:00:00Z'), activateAt: new Date('2026-01-30T10:00:00Z') };

describe.each(SIGNING_ALGORITHMS.map((a) => [a]))('%s signing keys', (algorithm) => {
  test('the kid is the RFC 7638 thumbprint, the JWKS entry holds public parameters only, and the sealed key signs verifiable tokens', async () => {
    const key = await generateSigningKey(algorithm, keyring, times);
    const jwk = publicJwkOf(key);
    expect(key.kid).toBe(await calculateJwkThumbprint(jwk));
    expect(jwk).toMatchObject({ kid: key.kid, alg: algorithm, use: 'sig' });
    for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwk).not.toHaveProperty(privateMember);

    const privateKey = await openSigningKey(keyring, key);
    expect(privateKey.extractable).toBe(false);
    const token = await new SignJWT({ sub: 'u' }).setProtectedHeader({ alg: algorithm, kid: key.kid }).sign(privateKey);
    await expect(jwtVerify(token, createLocalJWKSet({ keys: [jwk] }))).resolves.toMatchObject({ payload: { sub: 'u' } });
  });
});

describe('the sealed private key', () => {
  test('is not the PKCS#8 key in any readable form', async () => {
    const key = await generateSigningKey('EdDSA', keyring, times);
    expect(key.sealedPrivateKey).toMatch(/^v1\.k1\./);
    // PKCS#8 DER of an Ed25519 key starts with 30 2e 02 01 00 30 05 06 03 2b 65 70: its base64 forms must not appear.
    const der = Buffer.from('302e020100300506032b657004220420', 'hex');
    for (const encoding of ['base64', 'base64url', 'hex'] as const) expect(key.sealedPrivateKey).not.toContain(der.toString(encoding).slice(0, 16));
    expect(key.sealedPrivateKey).not.toContain('PRIVATE KEY');
  });

  test('is bound to its kid: moved to another key row it does not open', async () => {
    const a = await generateSigningKey('EdDSA', keyring, times);
    const b = await generateSigningKey('EdDSA', keyring, times);
    await expect(openSigningKey(keyring, { ...b, sealedPrivateKey: a.sealedPrivateKey })).rejects.toThrow(SecretBoxError);
    expect(sealedKeyContext(a.kid)).toBe(`signing_key:${a.kid}`);
  });

  test('does not open with another keyring', async () => {
    const key = await generateSigningKey('ES256', keyring, times);
    await expect(openSigningKey(parseKeyring(generateKeyringSpec('k1')), key)).rejects.toThrow(SecretBoxError);
  });
});
