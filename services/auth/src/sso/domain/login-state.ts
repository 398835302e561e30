import { createHash, randomBytes } from 'node:crypto';

// A started login: the values that bind the provider's answer to this request. `state`
// defeats CSRF on the redirect, the PKCE verifier (RFC 7636, S256) binds the code to us, and
// the nonce binds the ID token to this login. Each is 256 bits from the CSPRNG.

export interface PendingLogin {
  tenantId: string;
  providerId: string;
  redirectUri: string;
  codeVerifier: string;
  nonce: string;
  /** Scopes requested, to compare with what the provider grants. */
  scopes: string[];
  expireTime: number;
}

export interface LoginSecrets {
  state: string;
  codeVerifier: string;
  nonce: string;
}

export function newLoginSecrets(): LoginSecrets {
  const token = (): string => randomBytes(32).toString('base64url');
  return { state: token(), codeVerifier: token(), nonce: token() };
}

/** `BASE64URL(SHA256(verifier))`, RFC 7636 §4.2. */
export function pkceChallenge(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
}

/** Our states are 43 base64url characters; anything else is refused before a store lookup. */
export function looksLikeState(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}
