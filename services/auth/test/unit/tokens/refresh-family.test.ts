import { decideRefresh, familyExpiry, nextRefreshExpiry, type FamilyState, type RefreshTokenState, type SubjectState } from '../../../src/tokens/domain/refresh-family.js';

const now = new Date('2026-01-30T10:00:00Z');
const later = new Date(now.getTime() + 60_000);
const earlier = new Date(now.getTime() - 60_000);

const token = (over: Partial<RefreshTokenState> = {}): RefreshTokenState => ({ tenantId: 'acme', generation: 3, expireTime: later, spendTime: null, ...over });
const family = (over: Partial<FamilyState> = {}): FamilyState => ({ expireTime: later, revokeTime: null, ...over });
const subject = (over: Partial<SubjectState> = {}): SubjectState => ({ disabled: false, sessionEnded: false, ...over });

describe('the refresh state machine', () => {
  test.each<[string, RefreshTokenState, FamilyState, SubjectState, string | undefined, ReturnType<typeof decideRefresh>]>([
    ['the newest unspent token rotates', token(), family(), subject(), undefined, { kind: 'rotate' }],
    ['the expected tenant matches', token(), family(), subject(), 'acme', { kind: 'rotate' }],
    ['another tenant\'s token is refused and nothing changes', token(), family(), subject(), 'globex', { kind: 'reject', reason: 'tenant_mismatch' }],
    ['a spent token is reuse: the family goes', token({ spendTime: earlier }), family(), subject(), undefined, { kind: 'revoke_family', reason: 'reuse' }],
    ['a spent token that has since expired is still reuse', token({ spendTime: earlier, expireTime: earlier }), family(), subject(), undefined, { kind: 'revoke_family', reason: 'reuse' }],
    ['reuse inside a revoked family stays quiet', token({ spendTime: earlier }), family({ revokeTime: earlier }), subject(), undefined, { kind: 'reject', reason: 'family_revoked' }],
    ['an unspent token of a revoked family is refused', token(), family({ revokeTime: earlier }), subject(), undefined, { kind: 'reject', reason: 'family_revoked' }],
    ['an expired token is refused', token({ expireTime: now }), family(), subject(), undefined, { kind: 'reject', reason: 'expired' }],
    ['a family past its end is refused', token(), family({ expireTime: now }), subject(), undefined, { kind: 'reject', reason: 'expired' }],
    ['an ended session revokes the family', token(), family(), subject({ sessionEnded: true }), undefined, { kind: 'revoke_family', reason: 'session_ended' }],
    ['a disabled user is refused', token(), family(), subject({ disabled: true }), undefined, { kind: 'reject', reason: 'subject_disabled' }],
  ])('%s', (_name, t, f, s, tenant, expected) => {
    expect(decideRefresh(t, f, s, now, tenant)).toEqual(expected);
  });

  test('a revocation scheduled in the future has not happened yet', () => {
    expect(decideRefresh(token(), family({ revokeTime: later }), subject(), now)).toEqual({ kind: 'rotate' });
  });
});

describe('lifetimes', () => {
  test('each token lives its own TTL, never past the family', () => {
    const end = new Date(now.getTime() + 10 * 60_000);
    expect(nextRefreshExpiry({ expireTime: end, revokeTime: null }, now, 5 * 60_000)).toEqual(new Date(now.getTime() + 5 * 60_000));
    expect(nextRefreshExpiry({ expireTime: end, revokeTime: null }, now, 60 * 60_000)).toEqual(end);
  });

  test('a family ends at its lifetime or at its session\'s end, whichever comes first', () => {
    expect(familyExpiry(now, 3_600_000)).toEqual(new Date(now.getTime() + 3_600_000));
    expect(familyExpiry(now, 3_600_000, later)).toEqual(later);
    expect(familyExpiry(now, 30_000, later)).toEqual(new Date(now.getTime() + 30_000));
  });
});
