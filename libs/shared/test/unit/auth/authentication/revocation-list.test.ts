import { epochMs, RevocationList } from '../../../../src/auth/index.js';

const T0 = 1_750_000_000_000; // epoch ms
const claims = (over: Partial<{ jti: string; sid: string; sub: string; tenant: string; iat: number }> = {}) => ({
  jti: 'jti-1', sub: 'alice', tenant: 'acme', iat: Math.floor(T0 / 1000) - 60, ...over,
});

describe('RevocationList', () => {
  let now: number;
  beforeEach(() => { now = T0; });
  const list = (opts: ConstructorParameters<typeof RevocationList>[0] = {}) => new RevocationList({ now: () => now, ...opts });

  test('a revoked jti is refused until the token would have expired', () => {
    const revocations = list();
    revocations.revokeToken('jti-1', T0 + 5_000);
    expect(revocations.isRevoked(claims())).toBe(true);
    expect(revocations.isRevoked(claims({ jti: 'jti-2' }))).toBe(false);
    now = T0 + 5_000;
    expect(revocations.isRevoked(claims())).toBe(false);
  });

  test('an ended session refuses its tokens in its tenant only', () => {
    const revocations = list();
    revocations.revokeSession('acme', 'sess-1', T0 + 60_000);
    expect(revocations.isRevoked(claims({ sid: 'sess-1' }))).toBe(true);
    expect(revocations.isRevoked(claims({ sid: 'sess-1', tenant: 'globex' }))).toBe(false);
    expect(revocations.isRevoked(claims())).toBe(false);
  });

  test('a locked-out user loses the tokens issued up to the lock-out, not later ones', () => {
    const revocations = list({ userLockOutRetentionMs: 3_600_000 });
    const at = T0 + 10_500;
    revocations.lockOutUser('acme', 'alice', at);
    expect(revocations.isRevoked(claims({ iat: Math.floor(T0 / 1000) }))).toBe(true);
    // Same second as the lock-out: cannot tell which came first, so refused.
    expect(revocations.isRevoked(claims({ iat: Math.floor(at / 1000) }))).toBe(true);
    expect(revocations.isRevoked(claims({ iat: Math.floor(at / 1000) + 1 }))).toBe(false);
    expect(revocations.isRevoked(claims({ sub: 'bob', iat: Math.floor(T0 / 1000) }))).toBe(false);
    expect(revocations.isRevoked(claims({ tenant: 'globex', iat: Math.floor(T0 / 1000) }))).toBe(false);
    now = at + 3_600_000;
    expect(revocations.isRevoked(claims({ iat: Math.floor(T0 / 1000) }))).toBe(false);
  });

  test('a later lock-out extends an earlier one; an older event does not move it back', () => {
    const revocations = list();
    revocations.lockOutUser('acme', 'alice', T0 + 20_000);
    revocations.lockOutUser('acme', 'alice', T0 + 5_000);
    expect(revocations.isRevoked(claims({ iat: Math.floor((T0 + 15_000) / 1000) }))).toBe(true);
  });

  test('entries already expired are not kept', () => {
    const revocations = list();
    revocations.revokeToken('old', T0 - 1);
    revocations.revokeSession('acme', 'old', T0);
    expect(revocations.size).toBe(0);
  });

  test('is bounded: expired entries go first, then the oldest live ones, with a warning', () => {
    const evicted: string[] = [];
    const revocations = list({ maxEntries: 2, onEviction: (kind) => evicted.push(kind) });
    revocations.revokeToken('a', T0 + 1_000);
    revocations.revokeToken('b', T0 + 100_000);
    now = T0 + 2_000;
    revocations.revokeToken('c', T0 + 100_000);
    expect(evicted).toEqual([]);
    revocations.revokeToken('d', T0 + 100_000);
    expect(evicted).toEqual(['token']);
    expect(revocations.isRevoked(claims({ jti: 'b' }))).toBe(false);
    expect(revocations.isRevoked(claims({ jti: 'd' }))).toBe(true);
  });

  test('epochMs reads seconds as seconds and milliseconds as milliseconds', () => {
    expect(epochMs(1_750_000_000)).toBe(1_750_000_000_000);
    expect(epochMs(1_750_000_000_000)).toBe(1_750_000_000_000);
  });
});
