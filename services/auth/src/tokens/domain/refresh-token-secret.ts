import { createHash, randomBytes } from 'node:crypto';

// Refresh tokens are opaque: 256 random bits behind a recognisable prefix, so secret scanners
// can spot a leaked one and RevokeToken/IntrospectToken can tell one from a JWT without a hint.
const PREFIX = 'aegis_rt_';
const RANDOM_BYTES = 32;
const SHAPE = /^aegis_rt_[A-Za-z0-9_-]{43}$/;

export function generateRefreshToken(): string {
  return PREFIX + randomBytes(RANDOM_BYTES).toString('base64url');
}

export function looksLikeRefreshToken(value: string): boolean {
  return SHAPE.test(value);
}

/**
 * What is stored and looked up instead of the token. Unkeyed SHA-256 is enough here, unlike
 * for API keys: with 256 random bits there is nothing to brute-force from a leaked digest.
 */
export function refreshTokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
