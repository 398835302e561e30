import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { closeRedis, createRedis } from '@aegis/shared';
import { createTestRedis, type TestRedis } from '@aegis/shared/testing';
import { RedisBucketStore } from '../../../src/adapters/redis/redis-bucket-store.js';
import type { BucketStore } from '../../../src/ports.js';
import { limit } from './store-backends.js';

// Exactness of the Redis path under contention: three stores, each on its own connection (as
// three instances would be), × 64 concurrent callers on one key for 10 s. From an emptied
// bucket, admitted requests stay within rate × elapsed, and reach at least 99% of it when
// demand exceeds it.

jest.setTimeout(60_000);

const RATE_PER_SECOND = 1_000;
// One second of refill: a pause of the callers (GC, a busy machine) shorter than that loses
// no refill, as it would be lost with a smaller bucket (correctly: a full bucket stops filling).
const BURST = 1_000;

describe('Redis bucket store exactness (3 connections × 64 callers × 10 s)', () => {
  let redis: TestRedis;
  const clients: ReturnType<typeof createRedis>[] = [];
  const stores: BucketStore[] = [];
  beforeAll(async () => {
    redis = await createTestRedis({ name: 'ratelimit-exactness' });
    for (let i = 0; i < 3; i++) {
      const client = createRedis({ url: redis.url, name: `ratelimit-exactness-${i}`, keyPrefix: redis.keyPrefix });
      clients.push(client);
      stores.push(new RedisBucketStore(client));
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => closeRedis(c)));
    await redis?.close();
  });

  it('admits within the bound and at least 99% of it', async () => {
    const owner = { tenantId: 'acme', key: `hot-${randomUUID()}` };
    const limits = [limit('hot', RATE_PER_SECOND, 1, BURST)];
    // Connected and the script cached on every connection before the clock starts.
    await Promise.all(stores.map((store) => store.apply('peek', owner, limits, 1)));
    // Emptied by one call: from here the bucket holds nothing, and the window runs from this
    // call to the last admission, both on Redis's clock as the script stored them (see
    // service/exactness.test.ts: the callers' latency is not time the limiter could admit in).
    expect((await stores[0]!.apply('consume', owner, limits, BURST)).allowed).toBe(true);
    const drainedAt = await bucketTime(owner.key);
    let admitted = 0;
    let denied = 0;
    const deadline = performance.now() + 10_000;
    const caller = async (store: BucketStore) => {
      while (performance.now() < deadline) {
        if ((await store.apply('consume', owner, limits, 1)).allowed) admitted++;
        else denied++;
      }
    };
    await Promise.all(stores.flatMap((store) => Array.from({ length: 64 }, () => caller(store))));
    const elapsedMicros = (await bucketTime(owner.key)) - drainedAt;
    const elapsedSeconds = elapsedMicros / 1e6;
    // Integers until the one division: a bound that is exactly whole stays whole.
    const bound = (RATE_PER_SECOND * elapsedMicros) / 1e6;
    console.info(`store exactness: admitted ${admitted} of ${admitted + denied} in ${elapsedSeconds.toFixed(3)} s (Redis clock); bound ${bound.toFixed(1)} (${((admitted / bound) * 100).toFixed(2)}%)`);
    expect(denied).toBeGreaterThan(admitted);
    expect(admitted).toBeLessThanOrEqual(Math.floor(bound));
    expect(admitted).toBeGreaterThanOrEqual(0.99 * bound);
  });

  /** When the bucket was last written (an admission), µs on Redis's clock: bucket-script.ts stores '<ddd' used, at, units per token. */
  async function bucketTime(key: string): Promise<number> {
    const raw = await clients[0]!.hgetBuffer(`rlb:{acme:${key}}`, 'hot');
    if (raw === null) throw new Error('the bucket is not in Redis');
    return raw.readDoubleLE(8);
  }
});
