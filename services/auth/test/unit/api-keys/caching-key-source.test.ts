import { MemoryKeyValueStore } from '@aegis/shared';
import { KvSharedKeyCache } from '../../../src/api-keys/adapters/kv/shared-key-cache.js';
import type { SharedKeyCache } from '../../../src/api-keys/ports.js';
import { CachingKeySource, type CachingOptions } from '../../../src/api-keys/verification/caching-key-source.js';
import { VerificationMetrics } from '../../../src/api-keys/verification/verification-metrics.js';
import { CountingStore, quietLogger, storedKey } from './fixtures.js';

const hex = (d: Uint8Array): string => Buffer.from(d).toString('hex');

function setUp(opts: Partial<CachingOptions> & { shared?: SharedKeyCache } = {}) {
  let now = 1_000_000;
  const store = new CountingStore();
  const kv = new MemoryKeyValueStore(() => now);
  const shared = opts.shared ?? new KvSharedKeyCache(kv);
  const source = new CachingKeySource(store, shared, {
    ttlMs: 30_000,
    maxEntries: 100,
    negativeTtlMs: 60_000,
    negativeMaxEntries: 100,
    now: () => now,
    ...opts,
  }, new VerificationMetrics(), quietLogger);
  return { store, kv, shared, source, advance: (ms: number) => (now += ms) };
}

// Lets fire-and-forget shared-cache writes land.
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('CachingKeySource', () => {
  test('a key is read from the store once, then answered from this process', async () => {
    const { store, source } = setUp();
    const { key } = storedKey();
    store.add(key);
    for (let i = 0; i < 50; i++) expect(await source.findByDigest(key.digest)).toEqual(key);
    expect(store.reads).toBe(1);
  });

  test('the lifetime is a safety net: after the TTL the store is read again', async () => {
    const { store, source, advance, kv } = setUp();
    const { key } = storedKey();
    store.add(key);
    await source.findByDigest(key.digest);
    advance(30_000);
    await kv.delete(`api-key:v1:${hex(key.digest)}`);
    await source.findByDigest(key.digest);
    expect(store.reads).toBe(2);
  });

  test('unknown digests are remembered: repeating a bad key does not reach the store', async () => {
    const { store, source } = setUp();
    const { key } = storedKey();
    for (let i = 0; i < 100; i++) expect(await source.findByDigest(key.digest)).toBeUndefined();
    expect(store.reads).toBe(1);
  });

  test('concurrent misses on one digest share one store read', async () => {
    const { store, source } = setUp();
    const { key } = storedKey();
    store.add(key);
    store.hold();
    const all = Promise.all(Array.from({ length: 20 }, () => source.findByDigest(key.digest)));
    store.release();
    expect((await all).every((k) => k?.id === key.id)).toBe(true);
    expect(store.reads).toBe(1);
  });

  test('a second instance on the same shared cache answers without the store, found or unknown', async () => {
    const first = setUp();
    const { key } = storedKey();
    const unknown = storedKey().key;
    first.store.add(key);
    await first.source.findByDigest(key.digest);
    await first.source.findByDigest(unknown.digest);
    await settle();

    const second = new CachingKeySource(first.store, first.shared, { ttlMs: 30_000, maxEntries: 10, negativeTtlMs: 60_000, negativeMaxEntries: 10 }, new VerificationMetrics(), quietLogger);
    const readsBefore = first.store.reads;
    expect(await second.findByDigest(key.digest)).toEqual(key);
    expect(await second.findByDigest(unknown.digest)).toBeUndefined();
    expect(first.store.reads).toBe(readsBefore);
  });

  test('drop() forgets a key: the next lookup reads the changed record', async () => {
    const { store, source, shared } = setUp();
    const { key } = storedKey();
    store.add(key);
    await source.findByDigest(key.digest);
    await settle();
    store.add({ ...key, revokedAt: new Date() });
    await shared.invalidate(hex(key.digest), 5_000);
    source.drop([hex(key.digest)]);
    expect((await source.findByDigest(key.digest))?.revokedAt).not.toBeNull();
  });

  test('a lookup reading while its key changes reads again: neither its callers nor the cache get the old record', async () => {
    const { store, source } = setUp();
    const { key } = storedKey();
    store.add(key);
    store.hold();
    const inFlight = source.findByDigest(key.digest);
    await settle();
    // The change commits and its invalidation arrives while the read is still out.
    store.add({ ...key, disabledAt: new Date() });
    source.drop([hex(key.digest)]);
    const joinedAfter = source.findByDigest(key.digest);
    store.release();
    expect((await inFlight)?.disabledAt).not.toBeNull();
    expect((await joinedAfter)?.disabledAt).not.toBeNull();
    expect((await source.findByDigest(key.digest))?.disabledAt).not.toBeNull();
    expect(store.reads).toBe(3); // the first read, its re-read, and the lookup started after the drop
  });

  test('a change found by record (a user disabled) also makes a lookup of that user\'s key read again', async () => {
    const { store, source } = setUp();
    const { key } = storedKey({ userId: 'mallory' });
    store.add(key);
    store.hold();
    const inFlight = source.findByDigest(key.digest);
    await settle();
    store.add({ ...key, ownerDisabled: true });
    source.dropWhere((k) => k.userId === 'mallory');
    store.release();
    expect((await inFlight)?.ownerDisabled).toBe(true);
    expect((await source.findByDigest(key.digest))?.ownerDisabled).toBe(true);
    expect(store.reads).toBe(2);
  });

  test('news about other keys does not disturb a lookup: it is cached after one read', async () => {
    const { store, source } = setUp();
    const { key } = storedKey({ userId: 'trent' });
    const unknown = storedKey().key;
    store.add(key);
    store.hold();
    const reads = [source.findByDigest(key.digest), source.findByDigest(unknown.digest)];
    await settle();
    source.drop(['00ff']);
    source.dropWhere((k) => k.userId === 'someone-else');
    store.release();
    await Promise.all(reads);
    await source.findByDigest(key.digest);
    await source.findByDigest(unknown.digest);
    expect(store.reads).toBe(2);
  });

  test('after an invalidation no instance writes the shared entry back for a while (the stale marker wins)', async () => {
    const { store, source, shared } = setUp();
    const { key } = storedKey();
    store.add(key);
    await shared.invalidate(hex(key.digest), 5_000);
    await source.findByDigest(key.digest);
    await settle();
    expect(await shared.get(hex(key.digest))).toEqual({ kind: 'stale' });
  });

  test("dropWhere forgets a user's keys; clear() forgets everything, unknown digests included", async () => {
    const nothingShared: SharedKeyCache = { get: async () => undefined, populate: async () => {}, invalidate: async () => {} };
    const { store, source } = setUp({ shared: nothingShared });
    const alice = storedKey({ userId: 'alice' }).key;
    const bob = storedKey({ userId: 'bob' }).key;
    const unknown = storedKey().key;
    store.add(alice);
    store.add(bob);
    for (const k of [alice, bob, unknown]) await source.findByDigest(k.digest);
    expect(store.reads).toBe(3);
    expect(source.dropWhere((k) => k.userId === 'alice')).toBe(1);
    for (const k of [alice, bob, unknown]) await source.findByDigest(k.digest);
    expect(store.reads).toBe(4); // only alice was read again
    source.clear();
    for (const k of [alice, bob, unknown]) await source.findByDigest(k.digest);
    expect(store.reads).toBe(7);
  });

  test('with the shared cache down, verification carries on from the store', async () => {
    const failing: SharedKeyCache = {
      get: () => Promise.reject(new Error('redis down')),
      populate: () => Promise.reject(new Error('redis down')),
      invalidate: () => Promise.reject(new Error('redis down')),
    };
    const { store, source } = setUp({ shared: failing });
    const { key } = storedKey();
    store.add(key);
    expect(await source.findByDigest(key.digest)).toEqual(key);
    expect(await source.findByDigest(key.digest)).toEqual(key);
    expect(store.reads).toBe(1);
  });

  test('a shared cache that does not answer in time is passed over for the store', async () => {
    const hanging: SharedKeyCache = { get: () => new Promise(() => {}), populate: async () => {}, invalidate: async () => {} };
    const { store, source } = setUp({ shared: hanging });
    const { key } = storedKey();
    store.add(key);
    const started = Date.now();
    expect(await source.findByDigest(key.digest)).toEqual(key);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test('a store failure is Unavailable, and is not remembered as an unknown key', async () => {
    const { store, source } = setUp();
    const { key } = storedKey();
    store.add(key);
    const real = store.findByDigest.bind(store);
    store.findByDigest = () => Promise.reject(new Error('connection refused'));
    await expect(source.findByDigest(key.digest)).rejects.toMatchObject({ kind: 'unavailable' });
    store.findByDigest = real;
    expect(await source.findByDigest(key.digest)).toEqual(key);
  });
});
