// Signs access tokens the way the auth service does (EdDSA, typ at+jwt, kid), for tests of
// the verifying side that must not depend on the tokens module.
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';

export interface TokenMinter {
  readonly jwks: { keys: JWK[] };
  readonly issuer: string;
  readonly audience: string;
  mint(claims?: { sub?: string; tenant?: string; sid?: string; roles?: string[]; iat?: number; ttlSec?: number; jti?: string }): Promise<{ token: string; jti: string }>;
}

export async function createTokenMinter(issuer = 'https://auth.test', audience = 'aegis'): Promise<TokenMinter> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const kid = 'test-key-1';
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return {
    jwks: { keys: [jwk] },
    issuer,
    audience,
    async mint(c = {}) {
      const now = c.iat ?? Math.floor(Date.now() / 1000);
      const jti = c.jti ?? randomUUID();
      const token = await new SignJWT({ tenant: c.tenant ?? 'acme', roles: c.roles ?? ['developer'], role: (c.roles ?? ['developer'])[0], permissions: [], ...(c.sid !== undefined ? { sid: c.sid } : {}) })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(c.sub ?? 'alice')
        .setJti(jti)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + (c.ttlSec ?? 900))
        .sign(privateKey);
      return { token, jti };
    },
  };
}
