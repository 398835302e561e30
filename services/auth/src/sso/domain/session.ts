// Login sessions and the tenant's rules for them (Kaizen: session timeout, concurrent sessions).

/** Stored states; "expired" is never stored, it is derived from expireTime. */
export type StoredSessionStatus = 'active' | 'revoked' | 'evicted';
export type SessionStatus = StoredSessionStatus | 'expired';

export interface SessionRecord {
  tenantId: string;
  sessionId: string;
  userId: string;
  providerId: string;
  status: StoredSessionStatus;
  amr: string[];
  ipAddress: string;
  userAgent: string;
  createTime: Date;
  lastRefreshTime: Date | null;
  expireTime: Date;
  endTime: Date | null;
}

export function sessionStatus(session: Pick<SessionRecord, 'status' | 'expireTime'>, now: Date): SessionStatus {
  if (session.status === 'active' && session.expireTime.getTime() <= now.getTime()) return 'expired';
  return session.status;
}

/** When an expired session ended: at its expiry. Ended sessions keep their own end time. */
export function sessionEndTime(session: Pick<SessionRecord, 'status' | 'expireTime' | 'endTime'>, now: Date): Date | null {
  return sessionStatus(session, now) === 'expired' ? session.expireTime : session.endTime;
}

export type SessionLimitAction = 'evict_oldest' | 'refuse_new';

export interface SessionPolicy {
  tenantId: string;
  sessionTimeoutMs: number;
  /** 0 = unlimited. */
  maxConcurrentSessions: number;
  limitAction: SessionLimitAction;
  /** 0 while the tenant runs on the defaults. */
  version: number;
}

export const MIN_SESSION_TIMEOUT_MS = 5 * 60_000;
export const MAX_SESSION_TIMEOUT_MS = 30 * 24 * 3_600_000;
export const MAX_CONCURRENT_SESSIONS = 1000;

export function defaultSessionPolicy(tenantId: string, sessionTimeoutMs: number): SessionPolicy {
  return { tenantId, sessionTimeoutMs, maxConcurrentSessions: 0, limitAction: 'evict_oldest', version: 0 };
}

export type SessionAdmission =
  | { admitted: true; evict: SessionRecord[] }
  | { admitted: false };

/**
 * Whether one more session fits under the limit, given the user's live sessions (any order):
 * with EVICT_OLDEST the oldest make room; with REFUSE_NEW the login is refused.
 */
export function admitSession(policy: Pick<SessionPolicy, 'maxConcurrentSessions' | 'limitAction'>, live: readonly SessionRecord[]): SessionAdmission {
  const max = policy.maxConcurrentSessions;
  if (max <= 0 || live.length < max) return { admitted: true, evict: [] };
  if (policy.limitAction === 'refuse_new') return { admitted: false };
  const oldestFirst = [...live].sort((a, b) => a.createTime.getTime() - b.createTime.getTime() || a.sessionId.localeCompare(b.sessionId));
  return { admitted: true, evict: oldestFirst.slice(0, live.length - max + 1) };
}
