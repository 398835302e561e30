import type { AccessTokenClaims } from '@aegis/shared';
import { permissionsForRoles, primaryRole } from './role-permissions.js';

/** The contract's bounds on an access token's lifetime (IssueTokenRequest.ttl). */
export const MIN_ACCESS_TOKEN_TTL_MS = 60_000;
export const MAX_ACCESS_TOKEN_TTL_MS = 24 * 3_600_000;

/** Whom a token is for and what it carries, as read at issue time. */
export interface AccessTokenSubject {
  tenantId: string;
  userId: string;
  roles: readonly string[];
  /** Narrowing scopes; empty: not narrowed. */
  scopes: readonly string[];
  sessionId?: string;
  amr?: readonly string[];
}

export interface AccessTokenRequest {
  issuer: string;
  audience: readonly string[];
  subject: AccessTokenSubject;
  ttlMs: number;
  now: Date;
  jti: string;
}

/**
 * The claims of a new access token. Times are whole seconds (NumericDate); `nbf` equals
 * `iat`, and `exp` is rounded down so the token never outlives the requested lifetime.
 */
export function accessTokenClaims(req: AccessTokenRequest): AccessTokenClaims {
  if (req.audience.length === 0) throw new RangeError('an access token needs at least one audience');
  if (!(req.ttlMs >= MIN_ACCESS_TOKEN_TTL_MS && req.ttlMs <= MAX_ACCESS_TOKEN_TTL_MS)) throw new RangeError('access-token lifetime out of range');
  const nowMs = req.now.getTime();
  const iat = Math.floor(nowMs / 1000);
  const exp = Math.floor((nowMs + req.ttlMs) / 1000);
  const { subject } = req;
  const roles = [...subject.roles];
  return {
    iss: req.issuer,
    sub: subject.userId,
    aud: req.audience.length === 1 ? req.audience[0]! : [...req.audience],
    exp,
    iat,
    nbf: iat,
    jti: req.jti,
    tenant: subject.tenantId,
    role: primaryRole(roles),
    roles,
    permissions: permissionsForRoles(roles),
    ...(subject.scopes.length > 0 ? { scope: subject.scopes.join(' ') } : {}),
    ...(subject.sessionId !== undefined && subject.sessionId !== '' ? { sid: subject.sessionId } : {}),
    ...(subject.amr !== undefined && subject.amr.length > 0 ? { amr: [...subject.amr] } : {}),
  };
}

/** When a token with these claims stops being valid, as a Date. */
export function expiryOf(claims: Pick<AccessTokenClaims, 'exp'>): Date {
  return new Date(claims.exp * 1000);
}
