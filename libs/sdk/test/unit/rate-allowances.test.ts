// Rate-limit allowances and slot reuse against a simulated limiter (one exact bucket without
// refill, shared by every client of a test): requests admitted locally, top-ups only with room,
// refunds on idle and close, never more admitted than the bucket holds with several clients,
// degraded answers, refusals unchanged; and leases handed from one run to the next.
import { createClient, createRouterTransport, type ConnectRouter } from '@connectrpc/connect';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { LeaseService } from '@aegis/proto/aegis/ratelimit/v1/lease_service_pb.js';
import { LimitConfigService } from '@aegis/proto/aegis/ratelimit/v1/limit_config_service_pb.js';
import { RateLimitService } from '@aegis/proto/aegis/ratelimit/v1/rate_limit_service_pb.js';
import type { RatelimitClients } from '../../src/clients.js';
import { acquireSlot, admit, bucketOf, type RateLimitRule } from '../../src/guard/admission.js';
import { RateLimitedError } from '../../src/index.js';
import { RateAllowances, type RateAllowanceOptions } from '../../src/ratelimit/index.js';
import { topUpUnits } from '../../src/ratelimit/allowance-sizing.js';
import { PRINCIPAL } from './fake-aegis.js';

const principal = PRINCIPAL as unknown as Principal;
const rule: RateLimitRule = { tier: 'none', limits: [{ name: 'rpm', quota: 1000n, window: { seconds: 60n } }] };
const settle = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Limiter {
  used: bigint;
  checks: bigint[];
  /** Each Check's cost and the room it found. */
  log: { cost: bigint; room: bigint }[];
  refunds: bigint[];
  degraded: boolean;
  /** Called for the next Check costing more than 1 (a top-up): its answer waits for the promise. */
  onTopUp?: () => Promise<void>;
  leases: { acquired: number; released: number; active: Set<string>; ttls: number[] };
  client(opts?: RateAllowanceOptions | false): RatelimitClients;
}

/** One bucket of `burst` tokens that never refills (so counts are exact), and a lease table. */
function limiter(burst: bigint, maxConcurrentServed = 100): Limiter {
  const state: Limiter = {
    used: 0n, checks: [], log: [], refunds: [], degraded: false, leases: { acquired: 0, released: 0, active: new Set(), ttls: [] },
    client(opts = {}) {
      const transport = createRouterTransport(routes);
      const limits = createClient(RateLimitService, transport);
      const leases = createClient(LeaseService, transport);
      return {
        limits, leases, config: createClient(LimitConfigService, transport),
        ...(opts === false ? {} : { allowances: new RateAllowances(limits, leases, opts) }),
      };
    },
  };
  const status = (allowed: boolean) => [{ name: 'rpm', quota: burst, burst, remaining: burst - state.used, allowed }];
  const routes = (router: ConnectRouter) => {
    router.service(RateLimitService, {
      async check(req) {
        const cost = req.cost === 0n ? 1n : req.cost;
        const hold = cost > 1n ? state.onTopUp?.() : undefined;
        if (hold !== undefined) state.onTopUp = undefined;
        state.checks.push(cost);
        state.log.push({ cost, room: burst - state.used });
        const allowed = state.used + cost <= burst;
        if (allowed && !state.degraded) state.used += cost;
        const remaining = burst - state.used;
        await hold;
        return {
          allowed, degraded: state.degraded, limits: status(allowed),
          ...(allowed ? {} : { retryAfter: { seconds: 7n, nanos: 0 } }),
          headers: { rateLimit: `"rpm";r=${remaining};t=60`, rateLimitPolicy: `"rpm";q=${burst};w=60`, retryAfterSeconds: allowed ? 0n : 7n },
        };
      },
      refund(req) {
        state.refunds.push(req.cost);
        if (!state.degraded) state.used -= req.cost < state.used ? req.cost : state.used;
        return { limits: status(true) };
      },
    });
    router.service(LeaseService, {
      acquireLease(req) {
        if (state.leases.active.size >= Math.min(Number(req.maxConcurrent), maxConcurrentServed)) return { acquired: false, retryAfter: { seconds: 30n, nanos: 0 }, maxConcurrent: req.maxConcurrent };
        const leaseId = `lease-${++state.leases.acquired}`;
        state.leases.active.add(leaseId);
        state.leases.ttls.push(Number(req.ttl?.seconds ?? 0n) * 1000 + Math.round((req.ttl?.nanos ?? 0) / 1e6));
        return { acquired: true, lease: { tenantId: req.tenantId, key: req.key, leaseId }, activeCount: BigInt(state.leases.active.size), maxConcurrent: req.maxConcurrent };
      },
      releaseLease(req) {
        state.leases.released++;
        return { released: state.leases.active.delete(req.leaseId) };
      },
    });
  };
  return state;
}

const once = (rl: RatelimitClients, cost = 1n) => admit(rl, rule, principal, { ...bucketOf(rule, principal, 0n), cost }, {});

/** `n` requests one after another, letting background top-ups land between them. */
async function steady(rl: RatelimitClients, n: number): Promise<{ admitted: number; refused: RateLimitedError[] }> {
  let admitted = 0;
  const refused: RateLimitedError[] = [];
  for (let i = 0; i < n; i++) {
    try {
      await once(rl);
      admitted++;
    } catch (err) {
      if (!(err instanceof RateLimitedError)) throw err;
      refused.push(err);
    }
    await settle();
  }
  return { admitted, refused };
}

describe('rate-limit allowances', () => {
  test('a steady caller is admitted mostly from its allowance: far fewer Checks than requests, headers counting what it holds', async () => {
    const bucket = limiter(1_000_000n);
    const rl = bucket.client();
    const { admitted } = await steady(rl, 400);
    expect(admitted).toBe(400);
    expect(bucket.checks.length).toBeLessThan(100);
    expect(rl.allowances!.stats().localAdmits).toBeGreaterThan(300);
    // Whatever is held was taken from the bucket first.
    expect(bucket.used).toBe(400n + rl.allowances!.stats().heldUnits);
    const headers = await once(rl);
    expect(headers!.rateLimit).toBe(`"rpm";r=${1_000_000n - bucket.used + rl.allowances!.stats().heldUnits};t=60`);
    await rl.allowances!.close();
    expect(bucket.used).toBe(401n);
  });

  test('top-ups only while the last answer left ample room: near the limit every request asks the limiter', async () => {
    const bucket = limiter(60n);
    const rl = bucket.client();
    const { admitted, refused } = await steady(rl, 80);
    expect(admitted).toBe(60);
    expect(refused).toHaveLength(20);
    // A top-up takes at most a tenth of the room its Check found: none within the last 20 tokens.
    const topUps = bucket.log.filter((c) => c.cost > 1n);
    expect(topUps.length).toBeGreaterThan(0);
    for (const { cost, room } of topUps) expect(cost * 10n).toBeLessThanOrEqual(room);
  });

  test('sizing: half a horizon of use, at most a share of the room and the burst, worth two requests', () => {
    const policy = { horizonMs: 500, shareOfRoom: 0.1 };
    const base = { ratePerSecond: 200, averageCost: 1, balance: 0n, room: 100_000n, minBurst: 100_000n };
    expect(topUpUnits(base, policy)).toBe(100n);
    expect(topUpUnits({ ...base, balance: 60n }, policy)).toBe(0n);
    expect(topUpUnits({ ...base, room: 300n }, policy)).toBe(30n);
    expect(topUpUnits({ ...base, room: 15n }, policy)).toBe(0n);
    expect(topUpUnits({ ...base, minBurst: 40n, balance: 10n }, policy)).toBe(30n);
    expect(topUpUnits({ ...base, ratePerSecond: 2 }, policy)).toBe(0n);
  });

  test('never more admitted than the bucket holds with three clients sharing it, and refunds return every unused unit', async () => {
    const bucket = limiter(500n);
    const clients = [bucket.client(), bucket.client(), bucket.client()];
    const results = await Promise.all(clients.map((rl) => steady(rl, 250)));
    const admitted = results.reduce((sum, r) => sum + r.admitted, 0);
    expect(admitted).toBeLessThanOrEqual(500);
    expect(admitted).toBeGreaterThanOrEqual(450);
    for (const r of results) for (const err of r.refused) expect(err.retryAfterMs).toBe(7000);
    await Promise.all(clients.map((rl) => rl.allowances!.close()));
    expect(bucket.used).toBe(BigInt(admitted));
  });

  test('unused units go back after the bucket is idle, and on close', async () => {
    const bucket = limiter(1_000_000n);
    const rl = bucket.client({ idleMs: 100 });
    await steady(rl, 100);
    const held = rl.allowances!.stats().heldUnits;
    expect(held).toBeGreaterThan(0n);
    await sleep(300);
    expect(rl.allowances!.stats().heldUnits).toBe(0n);
    expect(bucket.refunds.reduce((a, b) => a + b, 0n)).toBe(held);
    expect(bucket.used).toBe(100n);

    const other = limiter(1_000_000n);
    const closing = other.client();
    await steady(closing, 100);
    expect(closing.allowances!.stats().heldUnits).toBeGreaterThan(0n);
    await closing.allowances!.close();
    expect(other.used).toBe(100n);
  });

  test('units older than maxAgeMs are refunded rather than spent', async () => {
    const bucket = limiter(1_000_000n);
    let now = 0;
    const rl = bucket.client({ now: () => now, maxAgeMs: 2000, idleMs: 60_000 });
    for (let i = 0; i < 50; i++) {
      now += 5;
      await once(rl);
      await settle();
    }
    const held = rl.allowances!.stats().heldUnits;
    expect(held).toBeGreaterThan(0n);
    now += 2500;
    const checks = bucket.checks.length;
    await once(rl);
    expect(bucket.checks.length).toBe(checks + 1); // the request went to the limiter
    await settle();
    expect(bucket.refunds).toContain(held);
    await rl.allowances!.close();
  });

  test('a degraded answer drops the allowance: every request goes to the limiter and gets its fallback answer', async () => {
    const bucket = limiter(1_000_000n);
    const rl = bucket.client({ maxAgeMs: 60_000 });
    await steady(rl, 100);
    expect(rl.allowances!.stats().heldUnits).toBeGreaterThan(0n);
    bucket.degraded = true;
    // The next Check the process sends (a request's or a top-up) comes back degraded.
    for (let i = 0; i < 200 && rl.allowances!.stats().heldUnits > 0n; i++) {
      await once(rl);
      await settle();
    }
    expect(rl.allowances!.stats().heldUnits).toBe(0n);
    const before = bucket.checks.length;
    await steady(rl, 20);
    expect(bucket.checks.length - before).toBe(20);
    expect(bucket.checks.slice(before).every((c) => c === 1n)).toBe(true);
  });

  test('a degraded fail-closed refusal is the same RateLimitedError as without allowances', async () => {
    for (const opts of [{}, false] as const) {
      const bucket = limiter(0n);
      bucket.degraded = true;
      const err = await once(bucket.client(opts)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RateLimitedError);
      expect(err).toMatchObject({ reason: 'rate_limit', retryAfterMs: 7000 });
    }
  });

  test('a request the allowance does not cover goes to the limiter; its refusal keeps the limiter\'s retry time and headers', async () => {
    const bucket = limiter(100_000n);
    const rl = bucket.client();
    await steady(rl, 100);
    const err = await once(rl, 200_000n).catch((e: unknown) => e) as RateLimitedError;
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.retryAfterMs).toBe(7000);
    expect(err.headers?.retryAfterSeconds).toBe(7n);
    expect(bucket.checks.at(-1)).toBe(200_000n);
    await rl.allowances!.close();
  });

  test('a request refused while a top-up is in flight that took the last units is admitted from that top-up', async () => {
    const bucket = limiter(1_000_000n);
    const rl = bucket.client();
    let answer: () => void = () => {};
    let topUpSent = false;
    bucket.onTopUp = () => {
      topUpSent = true;
      return new Promise((resolve) => (answer = resolve));
    };
    for (let i = 0; i < 1000 && !topUpSent; i++) {
      await once(rl);
      await settle();
    }
    expect(topUpSent).toBe(true);
    bucket.used = 1_000_000n; // another process takes the rest
    while (rl.allowances!.stats().heldUnits > 0n) await once(rl);
    const checks = bucket.checks.length;
    const waiting = once(rl);
    await settle();
    expect(bucket.checks.length).toBe(checks + 1); // asked, and refused: no room left
    answer();
    await expect(waiting).resolves.toBeDefined();
    await rl.allowances!.close();
  });

  test('allowances off: one Check per request, as before', async () => {
    const bucket = limiter(1_000_000n);
    await steady(bucket.client(false), 50);
    expect(bucket.checks).toHaveLength(50);
  });
});

describe('slot reuse', () => {
  const limits = (max = 2n) => ({ maxConcurrentExecutions: max }) as never;

  test('the next run of a busy user takes over the freed lease; it is released once idle', async () => {
    const table = limiter(1n);
    const rl = table.client({ slotReuse: { idleMs: 100 } });
    for (let i = 0; i < 5; i++) {
      const slot = await acquireSlot(rl, limits(), principal, `r${i}`, {});
      await slot.release();
    }
    // The first run releases (a one-off user holds nothing idle); from the second on the lease is kept.
    expect(table.leases.acquired).toBe(2);
    expect(rl.allowances!.slots!.stats()).toEqual({ idle: 1, reused: 3 });
    expect(table.leases.active.size).toBe(1);
    await sleep(250);
    expect(table.leases.active.size).toBe(0);
    // Acquired with room for reuse beyond the run's own TTL (5 min by default).
    expect(table.leases.ttls.every((ttl) => ttl === 5 * 60_000 + 10_000)).toBe(true);
  });

  test('a degraded limiter answer releases the idle leases: none is handed on from a store that may have lost it', async () => {
    const table = limiter(1_000n);
    const rl = table.client({ slotReuse: { idleMs: 1_000 } });
    for (let i = 0; i < 3; i++) await (await acquireSlot(rl, limits(), principal, `r${i}`, {})).release();
    expect(rl.allowances!.slots!.stats().idle).toBe(1);
    table.degraded = true;
    await admit(rl, { tier: 'none', limits: [{ name: 'rpm', quota: 1_000n, window: { seconds: 60n } }] }, principal, bucketOf({}, principal, 1n), {});
    expect(rl.allowances!.slots!.stats().idle).toBe(0);
    await sleep(20);
    expect(table.leases.active.size).toBe(0);
    // The next run acquires a fresh lease.
    await acquireSlot(rl, limits(), principal, 'r3', {});
    expect(table.leases.acquired).toBe(3);
    await rl.allowances!.close();
  });

  test('never fewer leases than runs in flight: concurrent runs each hold their own', async () => {
    const table = limiter(1n, 2);
    const rl = table.client();
    const a = await acquireSlot(rl, limits(), principal, 'a', {});
    const b = await acquireSlot(rl, limits(), principal, 'b', {});
    await expect(acquireSlot(rl, limits(), principal, 'c', {})).rejects.toMatchObject({ reason: 'concurrency', retryAfterMs: 30_000 });
    await a.release();
    const c = await acquireSlot(rl, limits(), principal, 'c', {});
    expect(table.leases.active.size).toBe(2);
    await expect(acquireSlot(rl, limits(), principal, 'd', {})).rejects.toBeInstanceOf(RateLimitedError);
    await b.release();
    await c.release();
    await rl.allowances!.close();
    expect(table.leases.active.size).toBe(0);
  });

  test('a lease without enough life left for the run is released, not reused', async () => {
    const table = limiter(1n);
    let now = 0;
    const rl = table.client({ now: () => now, slotReuse: { idleMs: 10_000, reuseSpanMs: 10_000 } });
    await (await acquireSlot(rl, limits(), principal, 'a', {})).release();
    await (await acquireSlot(rl, limits(), principal, 'b', {})).release();
    expect(rl.allowances!.slots!.stats().idle).toBe(1);
    now += 9_000;
    await (await acquireSlot(rl, limits(), principal, 'c', {})).release(); // 1 s of extra life left: reused, then released
    expect(table.leases.acquired).toBe(2);
    expect(rl.allowances!.slots!.stats().idle).toBe(0);
    now += 2_000;
    await acquireSlot(rl, limits(), principal, 'd', {});
    expect(table.leases.acquired).toBe(3);
    await rl.allowances!.close();
  });
});
