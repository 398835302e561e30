import { randomUUID } from 'node:crypto';
import { Code, ConnectError } from '@connectrpc/connect';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import { FailureMode } from '@aegis/proto/aegis/ratelimit/v1/limit_pb.js';
import { rejection, startRatelimit, TENANT, type RunningRatelimit } from './ratelimit-harness.js';

// RateLimitService and LeaseService over HTTP, on the embedded backends (PGlite, in-memory
// limiter) and on the real ones (Postgres, Redis).

const perDay = (name: string, quota: number, burst = 0) => ({ name, quota: BigInt(quota), window: { seconds: 86_400n }, burst: BigInt(burst) });

describe.each([
  { name: 'embedded', real: false },
  { name: 'Postgres + Redis', real: true },
])('ratelimit service ($name)', ({ real }) => {
  let rl: RunningRatelimit;
  beforeAll(async () => { rl = await startRatelimit({ real }); });
  afterAll(() => rl?.stop());
  const key = () => `key-${randomUUID()}`;

  it('enforces the free tier: 10 per minute, and a denial names the minute window with a retry time', async () => {
    const k = key();
    const answers = [];
    for (let i = 0; i < 11; i++) answers.push(await rl.admin.limits.check({ tenantId: TENANT, key: k, selector: { tier: RateLimitTier.FREE } }));
    expect(answers.slice(0, 10).every((a) => a.allowed)).toBe(true);
    const denied = answers[10]!;
    expect(denied.allowed).toBe(false);
    expect(denied.degraded).toBe(false);
    expect(denied.limits.map((l) => [l.name, l.allowed, Number(l.remaining)])).toEqual([
      ['requests_per_minute', false, 0],
      ['requests_per_hour', true, 90],
      ['requests_per_day', true, 990],
    ]);
    // One token back every 6 s.
    const retryMs = Number(denied.retryAfter!.seconds) * 1000 + denied.retryAfter!.nanos / 1e6;
    expect(retryMs).toBeGreaterThan(5_000);
    expect(retryMs).toBeLessThanOrEqual(6_000);
    expect(denied.headers!.retryAfterSeconds).toBe(6n);
    expect(denied.headers!.rateLimit).toMatch(/^"requests_per_minute";r=0;t=(59|60)$/);
    expect(denied.headers!.rateLimitPolicy).toBe('"requests_per_minute";q=10;w=60, "requests_per_hour";q=100;w=3600, "requests_per_day";q=1000;w=86400');
    // The denied request took nothing from the hour and day windows.
    const remaining = await rl.admin.limits.getRemaining({ tenantId: TENANT, key: k, selector: { tier: RateLimitTier.FREE } });
    expect(remaining.limits.map((l) => Number(l.remaining))).toEqual([0, 90, 990]);
  });

  it('enforces every tier window together: the hour window denies when the minute one would admit', async () => {
    const k = key();
    // Hour and day of the free tier, with a minute limit raised inline: only the hour (100) binds.
    const selector = { tier: RateLimitTier.FREE, limits: [{ name: 'requests_per_minute', quota: 1000n, window: { seconds: 60n } }] };
    const first = await rl.admin.limits.check({ tenantId: TENANT, key: k, cost: 100n, selector });
    expect(first.allowed).toBe(true);
    const second = await rl.admin.limits.check({ tenantId: TENANT, key: k, selector });
    expect(second.allowed).toBe(false);
    expect(second.limits.find((l) => !l.allowed)?.name).toBe('requests_per_hour');
  });

  it('charges LLM-token costs, refuses a cost above the burst as InvalidArgument, and refunds', async () => {
    const k = key();
    const selector = { limits: [perDay('llm_tokens', 4000)] };
    expect((await rl.admin.limits.check({ tenantId: TENANT, key: k, cost: 3000n, selector })).allowed).toBe(true);
    expect((await rl.admin.limits.check({ tenantId: TENANT, key: k, cost: 1500n, selector })).allowed).toBe(false);
    const tooBig = await rejection(rl.admin.limits.check({ tenantId: TENANT, key: k, cost: 4001n, selector }));
    expect(tooBig.code).toBe(Code.InvalidArgument);
    expect(tooBig.rawMessage).toContain('cost');
    const refunded = await rl.admin.limits.refund({ tenantId: TENANT, key: k, cost: 2000n, selector });
    expect(Number(refunded.limits[0]!.remaining)).toBe(3000);
    expect((await rl.admin.limits.check({ tenantId: TENANT, key: k, cost: 1500n, selector })).allowed).toBe(true);
  });

  it('refuses bad input: empty key, negative cost, bad limits, no limits, unknown limit set', async () => {
    const codes = await Promise.all([
      rejection(rl.admin.limits.check({ tenantId: TENANT, key: '', selector: { tier: RateLimitTier.PRO } })),
      rejection(rl.admin.limits.check({ tenantId: TENANT, key: key(), cost: -1n, selector: { tier: RateLimitTier.PRO } })),
      rejection(rl.admin.limits.check({ tenantId: TENANT, key: key(), selector: { limits: [{ name: 'x', quota: 1n, window: { seconds: 0n, nanos: 5 } }] } })),
      rejection(rl.admin.limits.check({ tenantId: TENANT, key: key(), selector: { limits: [perDay('a', 1), perDay('a', 2)] } })),
      rejection(rl.admin.limits.check({ tenantId: TENANT, key: key() })),
      rejection(rl.admin.limits.check({ tenantId: TENANT, key: key(), selector: { limitSet: 'nope' } })),
    ]);
    expect(codes.map((e) => e.code)).toEqual([Code.InvalidArgument, Code.InvalidArgument, Code.InvalidArgument, Code.InvalidArgument, Code.FailedPrecondition, Code.NotFound]);
  });

  it('refuses callers without a credential', async () => {
    const err = await rejection(rl.first.clients().limits.check({ tenantId: TENANT, key: key(), selector: { tier: RateLimitTier.PRO } }));
    expect(err.code).toBe(Code.Unauthenticated);
  });

  it('applies limit sets and overrides, keeps versions, and lists the tiers', async () => {
    const k = key();
    const set = await rl.admin.config.createLimitSet({ tenantId: TENANT, limitSet: { name: `llm-${randomUUID().slice(0, 8)}`, limits: [perDay('llm_tokens', 500)] } });
    expect(set.limitSet!.version).toBe(1n);
    const bySet = { limitSet: set.limitSet!.name };
    // Another instance's writes reach this one through the config cache (same process here, same path).
    // Until the set arrives the check is NotFound: not yet.
    await eventually(async () => (await rl.admin.limits.check({ tenantId: TENANT, key: k, cost: 400n, selector: bySet }).catch((err: unknown) => {
      if (ConnectError.from(err).code === Code.NotFound) return { allowed: false };
      throw err;
    })).allowed);
    expect((await rl.admin.limits.check({ tenantId: TENANT, key: k, cost: 200n, selector: bySet })).allowed).toBe(false);
    const override = await rl.admin.config.setLimitOverride({ tenantId: TENANT, override: { key: k, limits: [perDay('llm_tokens', 1000)], maxConcurrent: 1n, reason: 'pilot customer' } });
    expect(override.override!.version).toBe(1n);
    await eventually(async () => (await rl.admin.limits.check({ tenantId: TENANT, key: k, cost: 200n, selector: bySet })).allowed);
    const stale = await rejection(rl.admin.config.setLimitOverride({ tenantId: TENANT, override: { key: k, tier: RateLimitTier.PRO }, expectedVersion: 7n }));
    expect(stale.code).toBe(Code.Aborted);
    const listed = await rl.admin.config.listLimitOverrides({ tenantId: TENANT });
    expect(listed.overrides.map((o) => o.key)).toContain(k);
    const tiers = await rl.admin.config.listTiers({ tenantId: TENANT });
    expect(tiers.tiers.map((t) => t.limits.map((l) => Number(l.quota)))).toEqual([[10, 100, 1000], [60, 1000, 10000], [300, 10000, 100000]]);
    await rl.admin.config.deleteLimitOverride({ tenantId: TENANT, key: k });
    expect((await rejection(rl.admin.config.getLimitOverride({ tenantId: TENANT, key: k }))).code).toBe(Code.NotFound);
  });

  it('leases: max_concurrent slots, release, and the override replacing the request', async () => {
    const k = key();
    const a = await rl.admin.leases.acquireLease({ tenantId: TENANT, key: k, maxConcurrent: 2n, holder: 'run_1' });
    const b = await rl.admin.leases.acquireLease({ tenantId: TENANT, key: k, maxConcurrent: 2n, holder: 'run_2' });
    const c = await rl.admin.leases.acquireLease({ tenantId: TENANT, key: k, maxConcurrent: 2n, holder: 'run_3' });
    expect([a.acquired, b.acquired, c.acquired]).toEqual([true, true, false]);
    expect(c.activeCount).toBe(2n);
    expect(Number(c.retryAfter!.seconds)).toBeGreaterThan(50);
    expect((await rl.admin.leases.releaseLease({ tenantId: TENANT, key: k, leaseId: a.lease!.leaseId })).released).toBe(true);
    expect((await rl.admin.leases.releaseLease({ tenantId: TENANT, key: k, leaseId: a.lease!.leaseId })).released).toBe(false);
    const renewed = await rl.admin.leases.renewLease({ tenantId: TENANT, key: k, leaseId: b.lease!.leaseId, ttl: { seconds: 120n } });
    expect(renewed.lease!.holder).toBe('run_2');
    expect((await rejection(rl.admin.leases.acquireLease({ tenantId: TENANT, key: k }))).code).toBe(Code.FailedPrecondition);
    expect((await rejection(rl.admin.leases.acquireLease({ tenantId: TENANT, key: k, maxConcurrent: 1n, ttl: { seconds: 0n } }))).code).toBe(Code.InvalidArgument);
    expect((await rejection(rl.admin.leases.renewLease({ tenantId: TENANT, key: k, leaseId: randomUUID() }))).code).toBe(Code.NotFound);
  });

  it('expires a lease whose holder died', async () => {
    const k = key();
    const dead = await rl.admin.leases.acquireLease({ tenantId: TENANT, key: k, maxConcurrent: 1n, ttl: { seconds: 1n } });
    expect(dead.acquired).toBe(true);
    expect((await rl.admin.leases.acquireLease({ tenantId: TENANT, key: k, maxConcurrent: 1n })).acquired).toBe(false);
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await rl.admin.leases.acquireLease({ tenantId: TENANT, key: k, maxConcurrent: 1n })).acquired).toBe(true);
  });

  it('fail-open/closed modes are accepted on limits', async () => {
    const answer = await rl.admin.limits.check({ tenantId: TENANT, key: key(), selector: { limits: [{ ...perDay('strict', 5), failureMode: FailureMode.FAIL_CLOSED }] } });
    expect(answer.allowed).toBe(true);
  });
});

async function eventually(check: () => Promise<boolean>, timeoutMs = 1_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
