import { randomUUID } from 'node:crypto';
import { EXPIRY_SLACK_MS } from '../../../src/adapters/redis/bucket-script.js';
import { readBucket } from '../../../src/domain/index.js';
import type { BucketOwner, BucketStore } from '../../../src/ports.js';
import { backends, limit, sleep } from './store-backends.js';

// Slow limits (per day) do not refill measurably during a test, so counts are exact;
// the refill tests use per-second limits and wait.

describe.each(backends)('BucketStore contract ($name)', (backend) => {
  let store: BucketStore;
  let close: () => Promise<void>;
  const owner = (): BucketOwner => ({ tenantId: 'acme', key: `user-${randomUUID()}` });

  beforeAll(async () => {
    const opened = await backend.open();
    store = opened.buckets;
    close = opened.close;
  });
  afterAll(() => close());

  it('admits exactly the burst, then denies', async () => {
    const who = owner();
    const limits = [limit('per_day', 5, 86_400)];
    const answers = [];
    for (let i = 0; i < 7; i++) answers.push((await store.apply('consume', who, limits, 1)).allowed);
    expect(answers).toEqual([true, true, true, true, true, false, false]);
  });

  it('admits only when every limit admits, and a denial consumes from none', async () => {
    const who = owner();
    const small = limit('small', 2, 86_400);
    const large = limit('large', 100, 86_400);
    expect((await store.apply('consume', who, [small, large], 2)).allowed).toBe(true);
    const denied = await store.apply('consume', who, [small, large], 1);
    expect(denied.allowed).toBe(false);
    // The large bucket still shows exactly 2 tokens used: the denied request took nothing.
    const peek = await store.apply('peek', who, [large], 1);
    expect(readBucket(peek.used[0]!, large.params, 1).remaining).toBe(98);
  });

  it('charges the cost in tokens and reports remaining, reset and retry', async () => {
    const who = owner();
    const tokens = limit('llm_tokens', 1000, 60);
    const first = await store.apply('consume', who, [tokens], 700);
    expect(first.allowed).toBe(true);
    const reading = readBucket(first.used[0]!, tokens.params, 400);
    expect(reading.remaining).toBeGreaterThanOrEqual(300);
    expect(reading.remaining).toBeLessThanOrEqual(301);
    // 700 used at 1000/min drains in 42 s; 100 more tokens need about 6 s.
    expect(reading.resetAfterMicros).toBeGreaterThan(41_000_000);
    expect(reading.resetAfterMicros).toBeLessThanOrEqual(42_000_000);
    expect(reading.retryAfterMicros).toBeGreaterThan(5_000_000);
    expect(reading.retryAfterMicros).toBeLessThanOrEqual(6_000_000);
    expect((await store.apply('consume', who, [tokens], 400)).allowed).toBe(false);
  });

  it('peek changes nothing', async () => {
    const who = owner();
    const l = limit('per_day', 3, 86_400);
    for (let i = 0; i < 5; i++) await store.apply('peek', who, [l], 1);
    expect((await store.apply('consume', who, [l], 3)).allowed).toBe(true);
  });

  it('refund gives tokens back, never beyond a full bucket', async () => {
    const who = owner();
    const l = limit('per_day', 4, 86_400);
    expect((await store.apply('consume', who, [l], 4)).allowed).toBe(true);
    expect((await store.apply('consume', who, [l], 1)).allowed).toBe(false);
    const refunded = await store.apply('refund', who, [l], 3);
    expect(readBucket(refunded.used[0]!, l.params, 1).remaining).toBe(3);
    await store.apply('refund', who, [l], 100);
    expect(readBucket((await store.apply('peek', who, [l], 1)).used[0]!, l.params, 1).remaining).toBe(4);
    expect((await store.apply('consume', who, [l], 4)).allowed).toBe(true);
    expect((await store.apply('consume', who, [l], 1)).allowed).toBe(false);
  });

  it('refills at the limit rate', async () => {
    const who = owner();
    const l = limit('per_second', 10, 1);
    expect((await store.apply('consume', who, [l], 10)).allowed).toBe(true);
    expect((await store.apply('consume', who, [l], 1)).allowed).toBe(false);
    await sleep(250);
    // 0.25 s at 10/s: 2 tokens back (2.5 rounded down), not 3.
    expect((await store.apply('consume', who, [l], 2)).allowed).toBe(true);
    expect((await store.apply('consume', who, [l], 1)).allowed).toBe(false);
  });

  it('keeps the tokens used when a limit changes (same name, new quota)', async () => {
    const who = owner();
    expect((await store.apply('consume', who, [limit('per_day', 10, 86_400)], 6)).allowed).toBe(true);
    const raised = limit('per_day', 20, 86_400);
    const peek = await store.apply('peek', who, [raised], 1);
    expect(readBucket(peek.used[0]!, raised.params, 1).remaining).toBe(14);
  });

  it('keeps owners apart: tenants and keys', async () => {
    const l = limit('per_day', 1, 86_400);
    const key = `k-${randomUUID()}`;
    expect((await store.apply('consume', { tenantId: 'acme', key }, [l], 1)).allowed).toBe(true);
    expect((await store.apply('consume', { tenantId: 'globex', key }, [l], 1)).allowed).toBe(true);
    expect((await store.apply('consume', { tenantId: 'acme', key: `${key}}:x` }, [l], 1)).allowed).toBe(true);
    expect((await store.apply('consume', { tenantId: 'acme', key }, [l], 1)).allowed).toBe(false);
  });

  it('answers concurrent checks of different owners, limits and operations each on its own', async () => {
    const [a, b, c] = [owner(), owner(), owner()];
    const small = limit('per_day', 2, 86_400);
    const pair = [limit('per_day', 5, 86_400), limit('per_hour', 4, 3_600)];
    await store.apply('consume', c, [small], 2);
    // Issued together (one script call where the store batches): A's, B's and C's steps interleaved.
    const calls = Array.from({ length: 8 }, (_, i) => [
      store.apply('consume', a, [small], 1),
      store.apply('consume', b, pair, 1),
      i === 3 ? store.apply('refund', c, [small], 1) : store.apply('peek', c, [small], 1),
    ]).flat();
    const answers = await Promise.all(calls);
    const of = (k: number) => answers.filter((_, i) => i % 3 === k);
    expect(of(0).map((x) => x.allowed)).toEqual([true, true, false, false, false, false, false, false]);
    // B: four admitted (the hour window binds), every answer reporting both windows.
    expect(of(1).filter((x) => x.allowed)).toHaveLength(4);
    expect(of(1).every((x) => x.used.length === 2)).toBe(true);
    // C: full before the refund, one token back after it.
    expect(of(2).map((x) => readBucket(x.used[0]!, small.params, 1).remaining)).toEqual([0, 0, 0, 1, 1, 1, 1, 1]);
  });

  it('never over-admits under concurrent callers', async () => {
    const who = owner();
    const l = limit('per_day', 50, 86_400);
    const answers = await Promise.all(Array.from({ length: 200 }, () => store.apply('consume', who, [l], 1)));
    expect(answers.filter((a) => a.allowed)).toHaveLength(50);
  });

  if (backend.name.startsWith('Redis')) {
    it('keeps all buckets of an owner in one hash that expires once they would all be full', async () => {
      const opened = await backend.open();
      try {
        const who = owner();
        const limits = [limit('a', 10, 1), limit('b', 10, 2)];
        await opened.buckets.apply('consume', who, limits, 1);
        const keys = await opened.redis!.keys();
        expect(keys).toHaveLength(1);
        const key = keys[0]!.slice(opened.redis!.keyPrefix.length);
        expect(key).toBe(`rlb:{${who.tenantId}:${who.key}}`);
        expect((await opened.redis!.client.hkeys(key)).sort()).toEqual([':exp', 'a', 'b']);
        // b (1 token at 10 per 2 s) is full again after 0.2 s: expiry 1 s later, plus the slack.
        const ttl = await opened.redis!.client.pttl(key);
        expect(ttl).toBeGreaterThan(EXPIRY_SLACK_MS);
        expect(ttl).toBeLessThanOrEqual(EXPIRY_SLACK_MS + 1_201);
        // A later check needing no longer expiry leaves it alone; one needing more extends it.
        const exp = await opened.redis!.client.hget(key, ':exp');
        await opened.buckets.apply('consume', who, [limits[0]!], 1);
        expect(await opened.redis!.client.hget(key, ':exp')).toBe(exp);
        await opened.buckets.apply('consume', who, [limit('c', 1, 86_400)], 1);
        expect(Number(await opened.redis!.client.hget(key, ':exp'))).toBeGreaterThan(Number(exp) + 86_000_000);
        expect(await opened.redis!.client.pttl(key)).toBeGreaterThan(86_000_000);
        // Refunded to full: the fields go, and with the last one the hash.
        await opened.buckets.apply('refund', who, limits, 2);
        expect((await opened.redis!.client.hkeys(key)).sort()).toEqual([':exp', 'c']);
        await opened.buckets.apply('refund', who, [limit('c', 1, 86_400)], 1);
        expect(await opened.redis!.keys()).toHaveLength(0);
      } finally {
        await opened.close();
      }
    });
  }
});
