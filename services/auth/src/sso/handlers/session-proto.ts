import { create } from '@bufbuild/protobuf';
import { durationFromMs, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { SessionLimitAction, SessionPolicySchema, SessionSchema, SessionStatus, type Session, type SessionPolicy as SessionPolicyProto } from '@aegis/proto/aegis/auth/v1/session_pb.js';
import { sessionEndTime, sessionStatus, type SessionPolicy, type SessionRecord } from '../domain/session.js';

const STATUS = { active: SessionStatus.ACTIVE, expired: SessionStatus.EXPIRED, revoked: SessionStatus.REVOKED, evicted: SessionStatus.EVICTED } as const;

export function sessionToProto(s: SessionRecord, now = new Date()): Session {
  const end = sessionEndTime(s, now);
  return create(SessionSchema, {
    tenantId: s.tenantId,
    sessionId: s.sessionId,
    userId: s.userId,
    providerId: s.providerId,
    status: STATUS[sessionStatus(s, now)],
    amr: s.amr,
    ipAddress: s.ipAddress,
    userAgent: s.userAgent,
    createTime: timestampFromDate(s.createTime),
    ...(s.lastRefreshTime !== null ? { lastRefreshTime: timestampFromDate(s.lastRefreshTime) } : {}),
    expireTime: timestampFromDate(s.expireTime),
    ...(end !== null ? { endTime: timestampFromDate(end) } : {}),
  });
}

export function policyToProto(p: SessionPolicy): SessionPolicyProto {
  return create(SessionPolicySchema, {
    tenantId: p.tenantId,
    sessionTimeout: durationFromMs(p.sessionTimeoutMs),
    maxConcurrentSessions: p.maxConcurrentSessions,
    limitAction: p.limitAction === 'refuse_new' ? SessionLimitAction.REFUSE_NEW : SessionLimitAction.EVICT_OLDEST,
    version: BigInt(p.version),
  });
}
