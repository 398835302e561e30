import { MemoryBroadcast, MemoryKeyValueStore, type Broadcast, type CredentialEvent, type CredentialEvents } from '@aegis/shared';
import { KvSharedKeyCache } from '../../../src/api-keys/adapters/kv/shared-key-cache.js';
import type { KeyRef, SharedKeyCache } from '../../../src/api-keys/ports.js';
import { CachingKeySource } from '../../../src/api-keys/verification/caching-key-source.js';
import { KeyInvalidation } from '../../../src/api-keys/verification/key-invalidation.js';
import { VerificationMetrics } from '../../../src/api-keys/verification/verification-metrics.js';
import { CountingStore, quietLogger, storedKey } from './fixtures.js';

/** Credential events over an in-process broadcast, recording what was published. */
function credentialEventsOn(broadcast: Broadcast, published: CredentialEvent[]): CredentialEvents {
  return {
    publish: async (event) => {
      published.push(event);
      await broadcast.publish('credential-events', JSON.stringify(event));
    },
    subscribe: (handler, opts) => broadcast.subscribe('credential-events', (m) => handler(JSON.parse(m) as CredentialEvent), opts),
    close: async () => {},
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Two auth instances on one store, one shared cache and one broadcast. */
async function twoInstances(opts: { broadcast?: Broadcast; shared?: SharedKeyCache } = {}) {
  const store = new CountingStore();
  const shared = opts.shared ?? new KvSharedKeyCache(new MemoryKeyValueStore());
  const broadcast = opts.broadcast ?? new MemoryBroadcast();
  const published: CredentialEvent[] = [];
  const credentialEvents = credentialEventsOn(new MemoryBroadcast(), published);
  const userKeys = new Map<string, KeyRef[]>();
  const instance = async () => {
    const cache = new CachingKeySource(store, shared, { ttlMs: 600_000, maxEntries: 100, negativeTtlMs: 600_000, negativeMaxEntries: 100 }, new VerificationMetrics(), quietLogger);
    const invalidation = new KeyInvalidation({
      cache, shared, broadcast, credentialEvents, metrics: new VerificationMetrics(), logger: quietLogger,
      repository: { keysOfUser: async (tenantId, userId) => userKeys.get(`${tenantId}/${userId}`) ?? [] },
    });
    await invalidation.start();
    return { cache, invalidation };
  };
  return { store, shared, published, credentialEvents, userKeys, a: await instance(), b: await instance() };
}

describe('KeyInvalidation', () => {
  test('a change pushed by one instance drops the cached record on the other', async () => {
    const { store, a, b, published } = await twoInstances();
    const { key } = storedKey();
    store.add(key);
    await a.cache.findByDigest(key.digest);
    await b.cache.findByDigest(key.digest);
    store.add({ ...key, revokedAt: new Date() });

    await a.invalidation.keysChanged([{ tenantId: key.tenantId, keyId: key.id, digest: key.digest }]);
    await settle();
    expect((await a.cache.findByDigest(key.digest))?.revokedAt).not.toBeNull();
    expect((await b.cache.findByDigest(key.digest))?.revokedAt).not.toBeNull();
    expect(published).toEqual([{ kind: 'api_key', tenantId: key.tenantId, keyId: key.id }]);
  });

  test('the shared entry is marked stale before the broadcast goes out', async () => {
    const { store, shared, a } = await twoInstances();
    const { key } = storedKey();
    store.add(key);
    await a.cache.findByDigest(key.digest);
    await settle();
    await a.invalidation.keysChanged([{ tenantId: key.tenantId, keyId: key.id, digest: key.digest }]);
    expect(await shared.get(Buffer.from(key.digest).toString('hex'))).toEqual({ kind: 'stale' });
  });

  test('invalidateUser drops every key of the user on every instance and tells the interceptors', async () => {
    const { store, a, b, userKeys, published } = await twoInstances();
    const k1 = storedKey({ userId: 'carol' }).key;
    const k2 = storedKey({ userId: 'carol' }).key;
    const other = storedKey({ userId: 'dave' }).key;
    for (const k of [k1, k2, other]) store.add(k);
    for (const k of [k1, k2, other]) await b.cache.findByDigest(k.digest);
    userKeys.set('acme/carol', [k1, k2].map((k) => ({ tenantId: 'acme', keyId: k.id, digest: k.digest })));
    for (const k of [k1, k2]) store.add({ ...k, ownerDisabled: true });

    await a.invalidation.invalidateUser('acme', 'carol');
    await settle();
    expect((await b.cache.findByDigest(k1.digest))?.ownerDisabled).toBe(true);
    expect((await b.cache.findByDigest(k2.digest))?.ownerDisabled).toBe(true);
    const readsBefore = store.reads;
    await b.cache.findByDigest(other.digest);
    expect(store.reads).toBe(readsBefore); // dave's key stayed cached
    expect(published.map((e) => (e.kind === 'api_key' ? e.keyId : ''))).toEqual([k1.id, k2.id]);
  });

  test("a user credential event published elsewhere drops that user's keys here and in the shared cache", async () => {
    const { store, a, b, userKeys, credentialEvents } = await twoInstances();
    const { key } = storedKey({ userId: 'erin' });
    store.add(key);
    userKeys.set('acme/erin', [{ tenantId: 'acme', keyId: key.id, digest: key.digest }]);
    await a.cache.findByDigest(key.digest);
    await settle();
    store.add({ ...key, ownerDisabled: true });
    // The users module disabled erin and told the platform, without calling invalidateUser.
    await credentialEvents.publish({ kind: 'user', tenantId: 'acme', userId: 'erin', at: Date.now() });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await a.cache.findByDigest(key.digest))?.ownerDisabled).toBe(true);
    expect((await b.cache.findByDigest(key.digest))?.ownerDisabled).toBe(true);
  });

  test('a reconnected subscription drops the whole local cache (news may have been missed)', async () => {
    const reconnects: Array<() => void> = [];
    const broadcast: Broadcast = {
      publish: async () => {},
      subscribe: async (_channel, _handler, opts) => {
        if (opts?.onReconnect !== undefined) reconnects.push(opts.onReconnect);
        return async () => {};
      },
      close: async () => {},
    };
    const nothingShared: SharedKeyCache = { get: async () => undefined, populate: async () => {}, invalidate: async () => {} };
    const { store, a } = await twoInstances({ broadcast, shared: nothingShared });
    const { key } = storedKey();
    const unknown = storedKey().key;
    store.add(key);
    for (const k of [key, unknown, key, unknown]) await a.cache.findByDigest(k.digest);
    expect(store.reads).toBe(2);
    expect(reconnects).toHaveLength(2); // one subscription per instance
    for (const reconnect of reconnects) reconnect();
    for (const k of [key, unknown]) await a.cache.findByDigest(k.digest);
    expect(store.reads).toBe(4);
  });

  test('when a message cannot be sent the call fails with Unavailable (the caller retries)', async () => {
    const broadcast: Broadcast = {
      publish: () => Promise.reject(new Error('redis down')),
      subscribe: async () => async () => {},
      close: async () => {},
    };
    const { a, store } = await twoInstances({ broadcast });
    const { key } = storedKey();
    store.add(key);
    await expect(a.invalidation.keysChanged([{ tenantId: key.tenantId, keyId: key.id, digest: key.digest }])).rejects.toMatchObject({ kind: 'unavailable' });
  });
});
