// A refresh-token family is the chain of refresh tokens of one login (or one IssueToken call):
// each refresh spends the presented token and adds the next generation. Only the newest
// unspent token is ever valid, so a spent token coming back means two parties hold the chain
// (a thief and the owner): the whole family is revoked (OAuth 2.0 Security BCP, section 4.14).

export type FamilyRevokeReason =
  /** A spent refresh token was presented again. */
  | 'reuse'
  /** RevokeToken on one of its refresh tokens. */
  | 'revoked'
  /** The session it belongs to ended (logout, revocation, eviction, timeout). */
  | 'session_ended'
  /** The user was disabled or removed (CredentialInvalidation). */
  | 'user_invalidated';

export interface RefreshTokenState {
  tenantId: string;
  generation: number;
  expireTime: Date;
  spendTime: Date | null;
}

export interface FamilyState {
  expireTime: Date;
  revokeTime: Date | null;
}

/** What the refresh depends on beyond the family: may the subject still get tokens? */
export interface SubjectState {
  /** The user or its tenant is disabled, or the user is gone. */
  disabled: boolean;
  /** The family belongs to a session that has ended; false without a session. */
  sessionEnded: boolean;
}

export type RefreshRejection = 'tenant_mismatch' | 'expired' | 'family_revoked' | 'subject_disabled';

export type RefreshDecision =
  /** Spend the token and issue the next generation. */
  | { kind: 'rotate' }
  /** Refuse; nothing changes. */
  | { kind: 'reject'; reason: RefreshRejection }
  /** Refuse and revoke the whole family. */
  | { kind: 'revoke_family'; reason: Extract<FamilyRevokeReason, 'reuse' | 'session_ended'> };

/**
 * The refresh state machine, pure. Order matters: a family already revoked stays revoked
 * quietly (a thief replaying after the owner's logout learns nothing new); a spent token is
 * reuse even when it has expired since, because the chain was still forked.
 */
export function decideRefresh(token: RefreshTokenState, family: FamilyState, subject: SubjectState, now: Date, expectedTenant?: string): RefreshDecision {
  // Another tenant's token is "unknown" to this caller: nothing is spent or revoked.
  if (expectedTenant !== undefined && expectedTenant !== token.tenantId) return { kind: 'reject', reason: 'tenant_mismatch' };
  if (family.revokeTime !== null && family.revokeTime <= now) return { kind: 'reject', reason: 'family_revoked' };
  if (token.spendTime !== null) return { kind: 'revoke_family', reason: 'reuse' };
  if (token.expireTime <= now || family.expireTime <= now) return { kind: 'reject', reason: 'expired' };
  if (subject.sessionEnded) return { kind: 'revoke_family', reason: 'session_ended' };
  if (subject.disabled) return { kind: 'reject', reason: 'subject_disabled' };
  return { kind: 'rotate' };
}

/** Expiry of the next token of a family: its own lifetime, never past the family's end. */
export function nextRefreshExpiry(family: FamilyState, now: Date, refreshTtlMs: number): Date {
  return new Date(Math.min(now.getTime() + refreshTtlMs, family.expireTime.getTime()));
}

/** End of a new family: its lifetime, or the session's end if that comes first. */
export function familyExpiry(now: Date, lifetimeMs: number, sessionExpireTime?: Date): Date {
  const own = now.getTime() + lifetimeMs;
  return new Date(sessionExpireTime === undefined ? own : Math.min(own, sessionExpireTime.getTime()));
}
