import { createHash, randomUUID } from 'node:crypto';
import { closeRedis, createLogger, createRedis, type RedisClient } from '@aegis/shared';
import { BUCKET_SCRIPT } from '../../../src/adapters/redis/bucket-script.js';
import { ACQUIRE_SCRIPT } from '../../../src/adapters/redis/lease-script.js';
import { ownRedisServer, type OwnRedisServer } from '../../support/own-redis-server.js';
import { startRatelimit, TENANT, type RunningRatelimit } from './ratelimit-harness.js';

// A Redis that lost its script cache (SCRIPT FLUSH here; a restart or a failover in
// production) answers EVALSHA with NOSCRIPT. The next check must still be answered by Redis
// (not the fallback), with the buckets' state intact, and the script be cached again. On a
// redis-server of this test's own: flushing the shared one would disturb other test files.

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const perDay = (name: string, quota: number) => ({ name, quota: BigInt(quota), window: { seconds: 86_400n } });

describe('ratelimit service after SCRIPT FLUSH', () => {
  let server: OwnRedisServer;
  let rl: RunningRatelimit;
  let admin: RedisClient;
  beforeAll(async () => {
    server = await ownRedisServer();
    rl = await startRatelimit({ redisUrl: server.url });
    admin = createRedis({ url: server.url, name: 'script-flush-test', logger: createLogger({ service: 'script-flush-test', level: 'silent' }) });
  });
  afterAll(async () => {
    if (admin !== undefined) await closeRedis(admin);
    await rl?.stop();
    await server?.stop();
  });

  const scriptsCached = async (...scripts: string[]) => (await admin.script('EXISTS', ...scripts.map(sha1))) as number[];

  it('reloads the scripts on NOSCRIPT and answers from Redis with the state intact', async () => {
    const key = `k-${randomUUID()}`;
    const selector = { limits: [perDay('daily', 10)] };
    const check = () => rl.admin.limits.check({ tenantId: TENANT, key, selector });
    const first = await check();
    expect(first.allowed && !first.degraded).toBe(true);
    await rl.admin.leases.acquireLease({ tenantId: TENANT, key, maxConcurrent: 5n });
    expect(await scriptsCached(BUCKET_SCRIPT, ACQUIRE_SCRIPT)).toEqual([1, 1]);

    expect(await admin.script('FLUSH')).toBe('OK');
    expect(await scriptsCached(BUCKET_SCRIPT, ACQUIRE_SCRIPT)).toEqual([0, 0]);

    const afterFlush = await check();
    expect(afterFlush.degraded).toBe(false);
    expect(afterFlush.allowed).toBe(true);
    // Same bucket, same Redis: two of ten taken.
    expect(Number(afterFlush.limits[0]!.remaining)).toBe(8);
    const lease = await rl.admin.leases.acquireLease({ tenantId: TENANT, key, maxConcurrent: 5n });
    expect(lease.acquired).toBe(true);
    expect(lease.activeCount).toBe(2n);
    expect(await scriptsCached(BUCKET_SCRIPT, ACQUIRE_SCRIPT)).toEqual([1, 1]);
    // Nothing was counted as an outage.
    expect(await (await fetch(`${rl.first.url}/metrics`)).text()).toMatch(/^ratelimit_degradations_total 0$/m);
  });
});
