import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { RateLimitService } from '@aegis/proto/aegis/ratelimit/v1/rate_limit_service_pb.js';
import { closeRedis, createRedis, type RedisClient } from '@aegis/shared';
import { startRatelimitProcess, type RatelimitProcess } from '../../support/ratelimit-process.js';
import { startRatelimit, TENANT, type RunningRatelimit } from './ratelimit-harness.js';

// Exactness under contention, end to end: three ratelimit service instances, each its own OS
// process (services/ratelimit/src/main.ts) on the same Postgres and Redis, × 64 concurrent
// gRPC callers each, on one key for 10 s. The callers (and auth and policy, which only see
// the first call of each instance: credential and permission are cached) run in this process.
//
// The rate is chosen from what this machine delivers: a first phase measures the checks per
// second the three instances answer on an unlimited key, and the limit gets an eighth of
// that, so demand is about eight times the bound. The burst holds more refill than the whole
// run, so a stall of the callers (a busy CI machine stalled them for over three seconds once,
// a GC pause) loses no tokens to the cap: they are used when the callers resume, and "demand
// exceeds the bound" holds over the whole run.
//
// Elapsed time is Redis's own clock, the one the script decides by. With 192 callers queued
// on a small machine an answer takes a large fraction of a second, so TIME calls around the
// run would count that latency as time the limiter could have admitted in (several % of 10 s).
// Instead the bucket is emptied by one call first, and the window runs from that call to the
// last admission, both as the script stored them (checked to lie within the TIME calls). From
// an empty bucket a token bucket admits at most rate × elapsed; as demand exceeds it, at
// least 99% of that. The form (burst + rate × bracketed elapsed) is asserted too.

jest.setTimeout(180_000);

const INSTANCES = 3;
const CALLERS_PER_INSTANCE = 64;
const PROBE_MS = 3_000;
const DURATION_MS = 10_000;

type Limits = Client<typeof RateLimitService>;

describe('exactness under contention (3 ratelimit processes × 64 callers × 10 s, real Redis)', () => {
  let rl: RunningRatelimit;
  let redis: RedisClient;
  const processes: RatelimitProcess[] = [];
  const instances: Limits[] = [];
  beforeAll(async () => {
    // Auth and policy (and one idle in-process instance) on a fresh database and the shared Redis.
    rl = await startRatelimit({ real: true });
    redis = createRedis({ url: rl.redisEnv.REDIS_URL!, name: 'ratelimit-exactness-clock' });
    const env = {
      ...rl.redisEnv,
      DATABASE_URL: rl.databaseUrl!,
      AEGIS_AUTH_URL: rl.authUrl,
      AEGIS_POLICY_URL: rl.policyUrl,
      AEGIS_PERMISSION_CACHE_TTL_MS: '10m',
      // Five busy processes share this machine's cores: a generous deadline keeps every answer
      // on the Redis path under test (the deadline itself is tested by redis-outage.test.ts).
      AEGIS_RATELIMIT_REDIS_TIMEOUT_MS: '5000',
    };
    // One after another: each start migrates (idempotently) and reads the configuration.
    for (let i = 0; i < INSTANCES; i++) processes.push(await startRatelimitProcess(env));
    const bearer: Interceptor = (next) => (req) => {
      req.header.set('authorization', `Bearer ${rl.adminKey}`);
      return next(req);
    };
    for (const p of processes) instances.push(createClient(RateLimitService, createGrpcTransport({ baseUrl: p.url, interceptors: [bearer] })));
    // Credential and permission cached on every instance before anything is measured.
    for (const client of instances) await client.check({ tenantId: TENANT, key: 'warm-up', selector: { limits: [{ name: 'w', quota: 1000n, window: { seconds: 1n } }] } });
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    if (redis !== undefined) await closeRedis(redis);
    await rl?.stop();
  });

  /** Every caller checks `key` with `selector` until `ms` have passed on this process's clock. */
  async function hammer(key: string, selector: object, ms: number): Promise<{ admitted: number; denied: number; elapsedRedisSeconds: number }> {
    let admitted = 0;
    let denied = 0;
    const before = await redisMicros(redis);
    const deadline = performance.now() + ms;
    const caller = async (client: Limits) => {
      while (performance.now() < deadline) {
        const answer = await client.check({ tenantId: TENANT, key, selector });
        if (answer.degraded) throw new Error('answered by the fallback: the test must run on Redis');
        if (answer.allowed) admitted++;
        else denied++;
      }
    };
    await Promise.all(instances.flatMap((client) => Array.from({ length: CALLERS_PER_INSTANCE }, () => caller(client))));
    return { admitted, denied, elapsedRedisSeconds: ((await redisMicros(redis)) - before) / 1e6 };
  }

  it('admits no more than rate × elapsed from an empty bucket, and at least 99% of it when demand exceeds it', async () => {
    const unlimited = { limits: [{ name: 'probe', quota: 1_000_000_000n, window: { seconds: 1n } }] };
    // Warm (JIT, connections) first, then measure what this machine delivers.
    await hammer(`probe-${randomUUID()}`, unlimited, PROBE_MS);
    const probe = await hammer(`probe-${randomUUID()}`, unlimited, PROBE_MS);
    expect(probe.denied).toBe(0);
    const throughput = probe.admitted / probe.elapsedRedisSeconds;
    const rate = Math.max(10, Math.floor(throughput / 8));
    const burst = (DURATION_MS / 1000 + 5) * rate;
    // `rate` per 1 s window, holding more than the whole run's worth.
    const key = `hot-${randomUUID()}`;
    const selector = { limits: [{ name: 'hot', quota: BigInt(rate), window: { seconds: 1n }, burst: BigInt(burst) }] };

    const t1 = await redisMicros(redis);
    // Emptied by one call: from here the bucket holds nothing, so the bound has no burst term
    // and tokens accrued while the callers ramp up are kept for them (up to 3 s worth).
    expect((await instances[0]!.check({ tenantId: TENANT, key, cost: BigInt(burst), selector })).allowed).toBe(true);
    const drainedAt = (await bucketOf(key)).at;
    const run = await hammer(key, selector, DURATION_MS);
    const t2 = await redisMicros(redis);
    // The last admission's time, as the script wrote it (denials write nothing).
    const lastAdmittedAt = (await bucketOf(key)).at;
    // The window lies within what this test bracketed with TIME.
    expect(t1).toBeLessThanOrEqual(drainedAt);
    expect(drainedAt).toBeLessThan(lastAdmittedAt);
    expect(lastAdmittedAt).toBeLessThanOrEqual(t2);

    const elapsedSeconds = (lastAdmittedAt - drainedAt) / 1e6;
    // Integers until the one division: a bound that is exactly whole stays whole.
    const bound = (rate * (lastAdmittedAt - drainedAt)) / 1e6;
    console.info(
      `exactness: ${INSTANCES} processes × ${CALLERS_PER_INSTANCE} callers; probe ${Math.round(throughput)} checks/s → rate ${rate}/s; ` +
      `admitted ${run.admitted} of ${run.admitted + run.denied} in ${elapsedSeconds.toFixed(3)} s (Redis clock, drain to last admission; ` +
      `${((t2 - t1) / 1e6).toFixed(3)} s bracketed); bound ${bound.toFixed(1)} (${((run.admitted / bound) * 100).toFixed(2)}%)`,
    );
    expect(run.denied).toBeGreaterThan(run.admitted); // demand exceeded the bound at least twice over
    expect(run.admitted).toBeLessThanOrEqual(Math.floor(bound));
    expect(run.admitted).toBeGreaterThanOrEqual(0.99 * bound);
    // The form, from the bracketing TIME calls: burst + rate × elapsed, the drain included.
    expect(burst + run.admitted).toBeLessThanOrEqual(burst + rate * ((t2 - t1) / 1e6));
  });

  /** The bucket as the Lua script stores it (adapters/redis/bucket-script.ts): '<ddd' used, at, units per token. */
  async function bucketOf(key: string): Promise<{ used: number; at: number }> {
    const raw = await redis.hgetBuffer(`${rl.redisEnv.AEGIS_REDIS_KEY_PREFIX!}ratelimit:rlb:{${TENANT}:${key}}`, 'hot');
    if (raw === null) throw new Error('the bucket is not in Redis');
    return { used: raw.readDoubleLE(0), at: raw.readDoubleLE(8) };
  }
});

/** Redis's clock, in µs. */
async function redisMicros(client: RedisClient): Promise<number> {
  const [seconds, micros] = (await client.time()) as unknown as [string | number, string | number];
  return Number(seconds) * 1e6 + Number(micros);
}
