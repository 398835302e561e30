import { admitSession, sessionEndTime, sessionStatus, type SessionRecord } from '../../../src/sso/domain/session.js';

function session(id: string, createdMinutesAgo: number): SessionRecord {
  const now = Date.now();
  return {
    tenantId: 't', sessionId: id, userId: 'u', providerId: 'p', status: 'active', amr: [], ipAddress: '', userAgent: '',
    createTime: new Date(now - createdMinutesAgo * 60_000), lastRefreshTime: null, expireTime: new Date(now + 3_600_000), endTime: null,
  };
}

describe('the concurrent-session limit', () => {
  const live = [session('b', 5), session('a', 30), session('c', 1)];

  test('0 means unlimited', () => {
    expect(admitSession({ maxConcurrentSessions: 0, limitAction: 'refuse_new' }, live)).toEqual({ admitted: true, evict: [] });
  });

  test('below the limit nothing is evicted', () => {
    expect(admitSession({ maxConcurrentSessions: 4, limitAction: 'evict_oldest' }, live)).toEqual({ admitted: true, evict: [] });
  });

  test('EVICT_OLDEST ends the oldest sessions, as many as needed to fit the new one', () => {
    const one = admitSession({ maxConcurrentSessions: 3, limitAction: 'evict_oldest' }, live);
    expect(one.admitted && one.evict.map((s) => s.sessionId)).toEqual(['a']);
    const two = admitSession({ maxConcurrentSessions: 2, limitAction: 'evict_oldest' }, live);
    expect(two.admitted && two.evict.map((s) => s.sessionId)).toEqual(['a', 'b']);
    // The limit was lowered below the live count: all but the newest make room.
    const all = admitSession({ maxConcurrentSessions: 1, limitAction: 'evict_oldest' }, live);
    expect(all.admitted && all.evict.map((s) => s.sessionId)).toEqual(['a', 'b', 'c']);
  });

  test('REFUSE_NEW refuses at the limit', () => {
    expect(admitSession({ maxConcurrentSessions: 3, limitAction: 'refuse_new' }, live)).toEqual({ admitted: false });
  });
});

describe('session status', () => {
  test('an active session past its expiry reads as expired, ended at its expiry', () => {
    const s = { ...session('x', 120), expireTime: new Date(Date.now() - 1000) };
    expect(sessionStatus(s, new Date())).toBe('expired');
    expect(sessionEndTime(s, new Date())).toEqual(s.expireTime);
  });

  test('a revoked session stays revoked, with its own end time', () => {
    const end = new Date(Date.now() - 5000);
    const s: SessionRecord = { ...session('x', 120), status: 'revoked', endTime: end, expireTime: new Date(Date.now() - 1000) };
    expect(sessionStatus(s, new Date())).toBe('revoked');
    expect(sessionEndTime(s, new Date())).toEqual(end);
  });
});
