import { timingSafeEqual } from 'node:crypto';
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { AegisError } from '@aegis/shared';

// ID token validation (OpenID Connect Core §3.1.3.7, RFC 8725): signature by a key of the
// provider's JWKS under an explicit asymmetric algorithm allow-list (never `none`, never HS*,
// which would make the client secret a signing key), then iss, aud/azp, exp/iat/nbf and the
// nonce of this very login.

/** Asymmetric JWS algorithms accepted for ID tokens. */
export const ID_TOKEN_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** The provider's published keys; `refresh` asks for a fresh copy (a key rotated in). */
export interface ProviderKeys {
  keys(opts: { refresh: boolean }): Promise<JSONWebKeySet>;
}

export interface IdTokenExpectations {
  /**
   * The issuer the discovery document named. Entra ID's multi-tenant endpoints name
   * `https://login.microsoftonline.com/{tenantid}/v2.0`: the placeholder is the token's `tid`.
   */
  issuer: string;
  clientId: string;
  nonce: string;
  /** ID_TOKEN_ALGORITHMS, narrowed to what the provider says it uses. */
  algorithms: string[];
  clockToleranceSec: number;
  /** Google writes `accounts.google.com` without the scheme in some tokens. */
  alsoAcceptedIssuers?: string[];
}

export interface IdTokenClaims extends JWTPayload {
  sub: string;
  nonce?: string;
  email?: unknown;
  email_verified?: unknown;
  name?: unknown;
  amr?: unknown;
  acr?: unknown;
  tid?: unknown;
  azp?: unknown;
}

const MAX_ID_TOKEN_LENGTH = 16 * 1024;
const MAX_ID_TOKEN_AGE_SEC = 600;

export async function validateIdToken(token: string, keys: ProviderKeys, expect: IdTokenExpectations): Promise<IdTokenClaims> {
  if (token.length > MAX_ID_TOKEN_LENGTH) throw invalidIdToken('it is larger than any ID token should be');
  const options = {
    algorithms: expect.algorithms,
    audience: expect.clientId,
    clockTolerance: expect.clockToleranceSec,
    requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
    // The token comes straight from the token endpoint, so it was issued moments ago; this
    // also refuses an iat in the future.
    maxTokenAge: MAX_ID_TOKEN_AGE_SEC,
  };
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(await keys.keys({ refresh: false })), options));
  } catch (err) {
    // A key the provider rotated in after we cached its JWKS: fetch once more, then decide.
    if (!(err instanceof errors.JWKSNoMatchingKey)) throw idTokenError(err);
    try {
      ({ payload } = await jwtVerify(token, createLocalJWKSet(await keys.keys({ refresh: true })), options));
    } catch (retryErr) {
      throw idTokenError(retryErr);
    }
  }
  const claims = payload as IdTokenClaims;
  if (typeof claims.sub !== 'string' || claims.sub === '') throw invalidIdToken('it has no subject');
  if (!issuerMatches(expect, claims)) throw invalidIdToken('it was issued by another issuer than the configured provider');
  // Several audiences: the token must say it was issued to us (OIDC Core §3.1.3.7 items 4-5).
  if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== expect.clientId) throw invalidIdToken('it was issued to another client (azp)');
  if (claims.azp !== undefined && claims.azp !== expect.clientId) throw invalidIdToken('it was issued to another client (azp)');
  if (typeof claims.nonce !== 'string' || !sameText(claims.nonce, expect.nonce)) throw invalidIdToken('its nonce does not belong to this login');
  return claims;
}

function issuerMatches(expect: IdTokenExpectations, claims: IdTokenClaims): boolean {
  const iss = claims.iss;
  if (iss === undefined) return false;
  if (iss === expect.issuer || expect.alsoAcceptedIssuers?.includes(iss) === true) return true;
  if (expect.issuer.includes('{tenantid}') && typeof claims.tid === 'string' && /^[0-9a-f-]{36}$/.test(claims.tid)) {
    return iss === expect.issuer.replace('{tenantid}', claims.tid);
  }
  return false;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function invalidIdToken(reason: string, cause?: unknown): AegisError {
  return new AegisError('unauthenticated', `the provider's ID token was refused: ${reason}; start the login again`, { cause });
}

/** jose's error classes, in words that tell an operator what to look at. */
function idTokenError(err: unknown): AegisError {
  if (err instanceof errors.JWTExpired) {
    return invalidIdToken(err.claim === 'iat' ? 'its iat is too old for a token fresh from the token endpoint (check the clocks)' : 'it has expired (check the clocks)', err);
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return invalidIdToken('it was issued to another client (aud)', err);
    if (err.claim === 'nbf' || err.claim === 'iat') return invalidIdToken(`its ${err.claim} is in the future (check the clocks)`, err);
    return invalidIdToken(`its ${err.claim} claim is missing or wrong`, err);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return invalidIdToken('it is signed with an algorithm that is not allowed', err);
  if (err instanceof errors.JWKSNoMatchingKey) return invalidIdToken("its key is not in the provider's JWKS", err);
  if (err instanceof errors.JWSSignatureVerificationFailed) return invalidIdToken('its signature does not verify', err);
  return invalidIdToken('it is not a well-formed signed JWT', err);
}
