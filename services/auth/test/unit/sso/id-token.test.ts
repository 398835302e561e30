import { createHmac } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose';
import { AegisError } from '@aegis/shared';
import { ID_TOKEN_ALGORITHMS, validateIdToken, type IdTokenExpectations, type ProviderKeys } from '../../../src/sso/domain/id-token.js';

const ISSUER = 'https://idp.example.com';
const CLIENT = 'aegis-client';
const NONCE = 'n-0S6_WzA2Mj';

let privateKey: CryptoKey;
let publicJwk: JWK;
let otherPrivate: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  otherPrivate = (await generateKeyPair('RS256')).privateKey;
});

/** A JWKS source that counts refreshes; `later` is what a refresh returns (a key rotated in). */
function keys(initial: JWK[], later: JWK[] = initial): ProviderKeys & { refreshes: number } {
  const source = {
    refreshes: 0,
    async keys({ refresh }: { refresh: boolean }): Promise<JSONWebKeySet> {
      if (refresh) source.refreshes += 1;
      return { keys: refresh ? later : initial };
    },
  };
  return source;
}

const expect_: IdTokenExpectations = { issuer: ISSUER, clientId: CLIENT, nonce: NONCE, algorithms: [...ID_TOKEN_ALGORITHMS], clockToleranceSec: 30 };

async function token(claims: Record<string, unknown> = {}, opts: { key?: CryptoKey; kid?: string; exp?: string | number; iat?: number } = {}): Promise<string> {
  const jwt = new SignJWT({ nonce: NONCE, email: 'alice@example.com', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'k1' })
    .setIssuer(typeof claims['iss'] === 'string' ? claims['iss'] : ISSUER)
    .setSubject('user-1')
    .setAudience((claims['aud'] as string | string[] | undefined) ?? CLIENT)
    .setIssuedAt(opts.iat)
    .setExpirationTime(opts.exp ?? '5m');
  return jwt.sign(opts.key ?? privateKey);
}

async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    if (err instanceof AegisError && err.kind === 'unauthenticated') return err.message;
    throw err;
  }
  throw new Error('expected the ID token to be refused');
}

describe('ID token validation', () => {
  test('accepts a token signed by the provider for this client and login', async () => {
    const claims = await validateIdToken(await token({ amr: ['pwd', 'mfa'] }), keys([publicJwk]), expect_);
    expect(claims.sub).toBe('user-1');
    expect(claims.amr).toEqual(['pwd', 'mfa']);
  });

  test('refuses another issuer', async () => {
    expect(await refusal(validateIdToken(await token({ iss: 'https://evil.example.com' }), keys([publicJwk]), expect_))).toMatch(/another issuer/);
  });

  test('refuses another audience', async () => {
    expect(await refusal(validateIdToken(await token({ aud: 'someone-else' }), keys([publicJwk]), expect_))).toMatch(/another client \(aud\)/);
  });

  test('several audiences need azp naming us', async () => {
    const aud = [CLIENT, 'other'];
    expect(await refusal(validateIdToken(await token({ aud }), keys([publicJwk]), expect_))).toMatch(/azp/);
    await expect(validateIdToken(await token({ aud, azp: CLIENT }), keys([publicJwk]), expect_)).resolves.toMatchObject({ sub: 'user-1' });
    expect(await refusal(validateIdToken(await token({ azp: 'other' }), keys([publicJwk]), expect_))).toMatch(/azp/);
  });

  test('refuses a nonce from another login, and a missing one', async () => {
    expect(await refusal(validateIdToken(await token({ nonce: 'another' }), keys([publicJwk]), expect_))).toMatch(/nonce/);
    expect(await refusal(validateIdToken(await token({ nonce: undefined }), keys([publicJwk]), expect_))).toMatch(/nonce/);
  });

  test('refuses an expired token, beyond the clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await refusal(validateIdToken(await token({}, { iat: now - 600, exp: now - 60 }), keys([publicJwk]), expect_))).toMatch(/expired/);
    await expect(validateIdToken(await token({}, { iat: now - 600, exp: now - 10 }), keys([publicJwk]), expect_)).resolves.toBeDefined();
  });

  test('refuses a token issued in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await refusal(validateIdToken(await token({}, { iat: now + 600, exp: now + 900 }), keys([publicJwk]), expect_))).toMatch(/iat/);
  });

  test('refuses a token issued long ago, even if it has not expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await refusal(validateIdToken(await token({}, { iat: now - 3600, exp: now + 300 }), keys([publicJwk]), expect_))).toMatch(/iat/);
  });

  test('refuses a signature by another key under the same kid', async () => {
    expect(await refusal(validateIdToken(await token({}, { key: otherPrivate }), keys([publicJwk]), expect_))).toMatch(/signature/);
  });

  test('refuses alg none', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ alg: 'none' })}.${b64({ iss: ISSUER, sub: 'user-1', aud: CLIENT, nonce: NONCE, iat: now, exp: now + 300 })}.`;
    expect(await refusal(validateIdToken(unsigned, keys([publicJwk]), expect_))).toMatch(/not allowed|well-formed/);
  });

  test('refuses HS256 signed with the public key material (key confusion)', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const input = `${b64({ alg: 'HS256', kid: 'k1' })}.${b64({ iss: ISSUER, sub: 'user-1', aud: CLIENT, nonce: NONCE, iat: now, exp: now + 300 })}`;
    const forged = `${input}.${createHmac('sha256', JSON.stringify(publicJwk)).update(input).digest('base64url')}`;
    expect(await refusal(validateIdToken(forged, keys([publicJwk]), expect_))).toMatch(/algorithm that is not allowed/);
  });

  test('refuses algorithms the provider does not advertise', async () => {
    expect(await refusal(validateIdToken(await token(), keys([publicJwk]), { ...expect_, algorithms: ['ES256'] }))).toMatch(/algorithm/);
  });

  test('an unknown kid refreshes the JWKS once: a rotated-in key is found', async () => {
    const source = keys([], [publicJwk]);
    await expect(validateIdToken(await token(), source, expect_)).resolves.toMatchObject({ sub: 'user-1' });
    expect(source.refreshes).toBe(1);
  });

  test('an unknown kid that stays unknown is refused after one refresh', async () => {
    const source = keys([publicJwk]);
    expect(await refusal(validateIdToken(await token({}, { kid: 'made-up' }), source, expect_))).toMatch(/not in the provider's JWKS/);
    expect(source.refreshes).toBe(1);
  });

  test('Entra ID multi-tenant issuer: {tenantid} is the token tid', async () => {
    const tid = '8eaef023-2b34-4da1-9baa-8bc8c9d6a490';
    const template = { ...expect_, issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' };
    await expect(validateIdToken(await token({ iss: `https://login.microsoftonline.com/${tid}/v2.0`, tid }), keys([publicJwk]), template)).resolves.toBeDefined();
    const other = '11111111-2b34-4da1-9baa-8bc8c9d6a490';
    expect(await refusal(validateIdToken(await token({ iss: `https://login.microsoftonline.com/${other}/v2.0`, tid }), keys([publicJwk]), template))).toMatch(/another issuer/);
  });

  test('garbage and oversized tokens are refused without a key lookup', async () => {
    const source = keys([publicJwk]);
    expect(await refusal(validateIdToken('not.a.jwt', source, expect_))).toMatch(/well-formed/);
    expect(await refusal(validateIdToken('a'.repeat(20_000), source, expect_))).toMatch(/larger/);
    expect(source.refreshes).toBe(0);
  });
});
