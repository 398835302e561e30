import { errors, jwtVerify, type JWK, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { unauthenticated, unavailable, type AegisError } from '../../errors/index.js';
import { ACCESS_TOKEN_TYP, DEFAULT_ACCESS_TOKEN_ALGORITHMS, MalformedClaimsError, principalFromClaims } from './access-token-claims.js';
import { localKeySet } from './local-key-set.js';
import { KeySetUnavailableError } from './remote-jwks.js';

export interface AccessTokenVerifierOptions {
  /** Expected `iss`: the auth service's public URL. */
  issuer: string;
  /** Accepted `aud` values; the token must name at least one. */
  audience: string | string[];
  /** Default EdDSA, ES256, RS256. Only asymmetric signature algorithms are accepted: never `none`, never HS*. */
  algorithms?: string[];
  /** `remoteJwks(url)` or a local key set. Keys are looked up by the token's `kid` in this set and nowhere else. */
  keys: JWTVerifyGetKey | { keys: JWK[] };
  /** Allowed clock skew for `exp`/`nbf`, seconds (default 30). */
  clockToleranceSec?: number;
  /** Longer tokens are refused before any parsing (default 8192). */
  maxTokenBytes?: number;
  /** Consulted after the signature and claims checked out (revocation by jti, session, user). */
  isRevoked?: (claims: { jti: string; sid?: string; sub: string; tenant: string; iat: number }) => boolean | Promise<boolean>;
}

export type AccessTokenVerifier = (token: string) => Promise<Principal>;

// Asymmetric JWS algorithms (RFC 7518, RFC 8037). A symmetric one would make every holder of
// the "public" key a signer (the RS256/HS256 confusion of RFC 8725 section 2.1).
const ASYMMETRIC = new Set(['EdDSA', 'Ed25519', 'ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']);
// Header members that point at a key: honouring any of them lets the token choose its own key.
const KEY_REFERENCES = ['jku', 'x5u', 'jwk', 'x5c'] as const;

const DEFAULT_CLOCK_TOLERANCE_SEC = 30;
const DEFAULT_MAX_TOKEN_BYTES = 8192;

/** A refusal decided here (rather than by jose), already phrased for the caller. */
class Refusal extends Error {}

/**
 * An access-token verifier following RFC 8725: size limit before parsing, an explicit
 * algorithm allow-list, a required `kid` resolved only in our key set, `typ` at+jwt,
 * issuer, audience, and `exp`/`nbf` with a small tolerance. Resolves to the token's
 * principal; rejects with AegisError `unauthenticated` (the message says why, never what
 * the token contained), or `unavailable` when the key set cannot be fetched.
 */
export function createAccessTokenVerifier(opts: AccessTokenVerifierOptions): AccessTokenVerifier {
  const algorithms = [...(opts.algorithms ?? DEFAULT_ACCESS_TOKEN_ALGORITHMS)];
  if (algorithms.length === 0) throw new TypeError('at least one signature algorithm must be allowed');
  for (const alg of algorithms) {
    if (!ASYMMETRIC.has(alg)) throw new TypeError(`"${alg}" is not an asymmetric JWS algorithm; access tokens accept only ${[...ASYMMETRIC].join(', ')}`);
  }
  const maxTokenBytes = opts.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
  const resolveKey: JWTVerifyGetKey = typeof opts.keys === 'function' ? opts.keys : localKeySet(opts.keys);
  const getKey: JWTVerifyGetKey = (header, token) => {
    if (typeof header.kid !== 'string' || header.kid === '') throw new Refusal('the access token names no signing key (kid)');
    for (const member of KEY_REFERENCES) {
      if (member in header) throw new Refusal(`the access token carries a "${member}" header: tokens never choose their own key`);
    }
    return resolveKey(header, token);
  };
  const verifyOptions: JWTVerifyOptions = {
    issuer: opts.issuer,
    audience: opts.audience,
    algorithms,
    typ: ACCESS_TOKEN_TYP,
    clockTolerance: opts.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC,
    requiredClaims: ['exp', 'iat', 'nbf', 'jti', 'sub'],
  };
  const { isRevoked } = opts;

  return async (token) => {
    if (typeof token !== 'string' || token === '') throw unauthenticated('no access token');
    if (token.length > maxTokenBytes) throw unauthenticated(`the access token is longer than ${maxTokenBytes} bytes`);
    if (!isCompactJws(token)) throw unauthenticated('the access token is not a signed JWT');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, getKey, verifyOptions));
    } catch (err) {
      throw refusalFor(err);
    }
    let principal: Principal;
    try {
      principal = principalFromClaims(payload);
    } catch (err) {
      if (err instanceof MalformedClaimsError) throw unauthenticated(`the access token is malformed: ${err.message}`);
      throw err;
    }
    if (isRevoked !== undefined) {
      const revoked = await isRevoked({
        jti: payload.jti as string,
        sub: principal.userId,
        tenant: principal.tenantId,
        iat: payload.iat as number,
        ...(principal.sessionId !== '' ? { sid: principal.sessionId } : {}),
      });
      if (revoked) throw unauthenticated('the access token has been revoked');
    }
    return principal;
  };
}

/** jose's verdicts, as messages for the caller (jose's own messages may quote claim values). */
function refusalFor(err: unknown): AegisError | unknown {
  if (err instanceof Refusal) return unauthenticated(err.message);
  if (err instanceof KeySetUnavailableError || err instanceof errors.JWKSTimeout) {
    return unavailable('the key set for verifying access tokens is unavailable', { cause: err });
  }
  if (err instanceof errors.JWTExpired) return unauthenticated('the access token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'nbf': return unauthenticated('the access token is not valid yet');
      case 'iss': return unauthenticated('the access token was issued by another issuer');
      case 'aud': return unauthenticated('the access token is not meant for this audience');
      case 'typ': return unauthenticated(`the token is not an access token (typ must be ${ACCESS_TOKEN_TYP})`);
      default: return unauthenticated(`the access token's ${err.claim} claim is missing or invalid`);
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return unauthenticated('the access token is signed with an algorithm that is not accepted');
  }
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return unauthenticated('the access token is signed with a key that is not in the key set');
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return unauthenticated('the access token signature is invalid');
  if (err instanceof errors.JOSEError) return unauthenticated('the access token is malformed');
  return err;
}

/** Three non-empty dot-separated parts; jose checks the characters and the JSON while decoding. */
function isCompactJws(token: string): boolean {
  const first = token.indexOf('.');
  const second = first > 0 ? token.indexOf('.', first + 1) : -1;
  return second > first + 1 && second < token.length - 1 && token.indexOf('.', second + 1) === -1;
}
