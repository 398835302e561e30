// Test helpers that mint and forge JWTs. Everything an attacker could put in a token is
// reachable from here: any header, any payload, any algorithm, any key.
import { webcrypto } from 'node:crypto';
import { CompactSign, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose';

export interface TestSigningKey {
  kid: string;
  alg: 'EdDSA' | 'ES256' | 'RS256';
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** As published in a JWKS. */
  publicJwk: JWK;
  /** SPKI PEM of the public key: the bytes an algorithm-confusion attacker HMACs with. */
  publicPem: string;
}

export async function testSigningKey(alg: TestSigningKey['alg'], kid: string): Promise<TestSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const jwk = await exportJWK(publicKey);
  return { kid, alg, privateKey, publicKey, publicJwk: { ...jwk, kid, alg, use: 'sig' }, publicPem: await exportSPKI(publicKey) };
}

export const ISSUER = 'https://auth.aegis.test';
export const AUDIENCE = 'aegis';

/** Valid claims of an access token for `acme`/`u-1`, shifted by `offsetSec` from now. */
export function validClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    sub: 'u-1',
    aud: AUDIENCE,
    iat: now,
    nbf: now,
    exp: now + 600,
    jti: '0190e7a4-5b1c-4d2e-9f10-3a4b5c6d7e8f',
    tenant: 'acme',
    role: 'developer',
    roles: ['developer'],
    permissions: ['agent:read'],
    ...overrides,
  };
}

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** Signs `payload` under `header` (alg taken from the header) with any key jose accepts, including HMAC secrets. */
export async function signToken(payload: Record<string, unknown>, header: Record<string, unknown>, key: CryptoKey | Uint8Array): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header as { alg: string })
    .sign(key);
}

/** A token with our key and the standard header, overridable. */
export function mint(key: TestSigningKey, claims: Record<string, unknown> = validClaims(), header: Record<string, unknown> = {}): Promise<string> {
  return signToken(claims, { alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header }, key.privateKey);
}

/** Header and payload put together by hand, with whatever signature part is given. */
export function handmade(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ''): string {
  return `${b64url(header)}.${b64url(payload)}.${signature}`;
}

/**
 * Signs any header with an Ed25519 key, bypassing jose's own checks at signing time (it
 * refuses, for example, unknown `crit` extensions): what a hand-rolled attacker would send.
 */
export async function signRawEd25519(header: Record<string, unknown>, payload: Record<string, unknown>, key: CryptoKey): Promise<string> {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = await webcrypto.subtle.sign('Ed25519', key as webcrypto.CryptoKey, new TextEncoder().encode(input));
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}
