// The admission stage of guard(): the rate limiter first while its bucket's room is unknown or
// low, the limiter, the concurrency slot, the budget hold and the input scan at once while the
// last answer left room for several requests, and everything acquired given back on a refusal.
import { AdmissionHeadroom } from '../../src/guard/admission-headroom.js';
import { RateLimitedError } from '../../src/index.js';
import { ALLOW_DECISION, type FakeCall } from './fake-aegis.js';
import { echo, refusal, request, setup } from './guard-fixtures.js';

const limit = (remaining: bigint) => ({ name: 'requests_per_minute', quota: 60n, burst: 60n, remaining, allowed: true });

/**
 * A rate-limit answer that first waits (up to 1 s) for ReserveBudget to arrive and notes whether
 * it did: it can only arrive while the limiter is still answering when the two run at once.
 */
function limiterWatchingForReserve(calls: () => FakeCall[], answers: Record<string, unknown>[]) {
  const sawReserveWhileAnswering: boolean[] = [];
  const answer = async () => {
    const deadline = Date.now() + 1000;
    while (!calls().some((c, i) => c.rpc === 'ReserveBudget' && i >= seenReserves) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const saw = calls().filter((c) => c.rpc === 'ReserveBudget').length > seenReserves;
    sawReserveWhileAnswering.push(saw);
    return answers[Math.min(sawReserveWhileAnswering.length - 1, answers.length - 1)]!;
  };
  let seenReserves = 0;
  return {
    answer,
    sawReserveWhileAnswering,
    nextCall: () => {
      seenReserves = calls().filter((c) => c.rpc === 'ReserveBudget').length;
    },
  };
}

describe('admission: the limiter first, or everything at once', () => {
  test('unknown room: the limiter answers before the hold is asked; plenty of room: they run together', async () => {
    let calls: FakeCall[] = [];
    const limiter = limiterWatchingForReserve(() => calls, [{ allowed: true, limits: [limit(50n)] }]);
    const fake = setup({ rateLimit: limiter.answer });
    calls = fake.calls;
    limiter.nextCall();
    await fake.guard(request(), echo);
    limiter.nextCall();
    await fake.guard(request(), echo);
    expect(limiter.sawReserveWhileAnswering).toEqual([false, true]);
  });

  test('room for fewer than four requests, a refusal, or a degraded answer: back to the limiter first', async () => {
    for (const lastAnswer of [
      { allowed: true, limits: [limit(3n)] },
      { allowed: true, limits: [limit(50n)], degraded: true },
    ]) {
      let calls: FakeCall[] = [];
      const limiter = limiterWatchingForReserve(() => calls, [lastAnswer]);
      const fake = setup({ rateLimit: limiter.answer });
      calls = fake.calls;
      for (let i = 0; i < 2; i++) {
        limiter.nextCall();
        await fake.guard(request(), echo);
      }
      expect(limiter.sawReserveWhileAnswering).toEqual([false, false]);
    }
  });

  test('a refusal while running together: the hold is released, the slot freed, the run never starts', async () => {
    let calls: FakeCall[] = [];
    const limiter = limiterWatchingForReserve(() => calls, [
      { allowed: true, limits: [limit(50n)] },
      { allowed: false, limits: [{ ...limit(0n), allowed: false }], retryAfter: { seconds: 2n, nanos: 0 } },
    ]);
    const fake = setup({
      rateLimit: limiter.answer,
      check: { decision: { ...ALLOW_DECISION, obligations: { allowedModels: ['*'], resourceLimits: { maxConcurrentExecutions: 4n } } } },
    });
    calls = fake.calls;
    limiter.nextCall();
    await fake.guard(request(), echo);
    const before = calls.length;
    limiter.nextCall();
    let ran = false;
    const err = await refusal(fake.guard(request(), async (ctx) => {
      ran = true;
      return echo(ctx);
    }));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err).toMatchObject({ reason: 'rate_limit', retryAfterMs: 2000 });
    expect(ran).toBe(false);
    expect(limiter.sawReserveWhileAnswering).toEqual([false, true]);
    const second = calls.slice(before).map((c) => c.rpc);
    expect(second).toEqual(expect.arrayContaining(['ReserveBudget', 'ReleaseReservation', 'AcquireLease']));
    // The slot was freed into the idle pool (the user's second run within a second): released on close.
    expect(fake.clients.ratelimit.allowances?.slots?.stats().idle).toBe(1);
    fake.clients.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls.slice(before).map((c) => c.rpc)).toContain('ReleaseLease');
  });
});

describe('AdmissionHeadroom', () => {
  const bucket = { tenantId: 'acme', key: 'key-1', cost: 10n };

  test('trusts an answer that left room for at least four requests, for two seconds', () => {
    let now = 0;
    const headroom = new AdmissionHeadroom({ now: () => now });
    expect(headroom.likelyAdmits(bucket)).toBe(false);
    headroom.observe(bucket, { allowed: true, degraded: false, limits: [limit(40n) as never, limit(500n) as never] });
    expect(headroom.likelyAdmits(bucket)).toBe(true);
    expect(headroom.likelyAdmits({ ...bucket, key: 'key-2' })).toBe(false);
    now = 2001;
    expect(headroom.likelyAdmits(bucket)).toBe(false);
  });

  test('the tightest limit decides; a refusal forgets the bucket', () => {
    const headroom = new AdmissionHeadroom();
    headroom.observe(bucket, { allowed: true, degraded: false, limits: [limit(39n) as never, limit(500n) as never] });
    expect(headroom.likelyAdmits(bucket)).toBe(false);
    headroom.observe(bucket, { allowed: true, degraded: false, limits: [limit(400n) as never] });
    expect(headroom.likelyAdmits(bucket)).toBe(true);
    headroom.observe(bucket, { allowed: false, degraded: false, limits: [limit(0n) as never] });
    expect(headroom.likelyAdmits(bucket)).toBe(false);
  });

  test('remembers at most maxEntries buckets, the oldest going first', () => {
    const headroom = new AdmissionHeadroom({ maxEntries: 2 });
    for (const key of ['a', 'b', 'c']) headroom.observe({ ...bucket, key }, { allowed: true, degraded: false, limits: [limit(400n) as never] });
    expect(['a', 'b', 'c'].map((key) => headroom.likelyAdmits({ ...bucket, key }))).toEqual([false, true, true]);
  });
});
