import { MemoryKeyValueStore } from '@aegis/shared';
import { KvSharedKeyCache } from '../../../src/api-keys/adapters/kv/shared-key-cache.js';
import { storedKey } from './fixtures.js';

const hex = (d: Uint8Array) => Buffer.from(d).toString('hex');

describe('KvSharedKeyCache', () => {
  test('a found key round-trips, dates and digest included', async () => {
    const cache = new KvSharedKeyCache(new MemoryKeyValueStore());
    const { key } = storedKey({ expiresAt: new Date('2030-01-01T00:00:00.123Z'), disabledAt: null, roles: ['a', 'b'], ownerRoles: ['a'] });
    await cache.populate(hex(key.digest), { kind: 'found', key }, 1_000);
    const entry = await cache.get(hex(key.digest));
    expect(entry).toEqual({ kind: 'found', key: { ...key, digest: Buffer.from(key.digest) } });
  });

  test('unknown digests are stored as such', async () => {
    const cache = new KvSharedKeyCache(new MemoryKeyValueStore());
    await cache.populate('ab', { kind: 'unknown' }, 1_000);
    expect(await cache.get('ab')).toEqual({ kind: 'unknown' });
  });

  test('populate never overwrites: an invalidation marker set first wins', async () => {
    const cache = new KvSharedKeyCache(new MemoryKeyValueStore());
    const { key } = storedKey();
    await cache.invalidate(hex(key.digest), 5_000);
    await cache.populate(hex(key.digest), { kind: 'found', key }, 30_000);
    expect(await cache.get(hex(key.digest))).toEqual({ kind: 'stale' });
  });

  test('invalidate replaces an existing entry', async () => {
    const cache = new KvSharedKeyCache(new MemoryKeyValueStore());
    const { key } = storedKey();
    await cache.populate(hex(key.digest), { kind: 'found', key }, 30_000);
    await cache.invalidate(hex(key.digest), 5_000);
    expect(await cache.get(hex(key.digest))).toEqual({ kind: 'stale' });
  });

  test('a damaged entry, or one stored under another digest, is never a verdict', async () => {
    const kv = new MemoryKeyValueStore();
    const cache = new KvSharedKeyCache(kv);
    const { key } = storedKey();
    const other = storedKey().key;
    await kv.set(`api-key:v1:${hex(key.digest)}`, '{"id":', 1_000);
    expect(await cache.get(hex(key.digest))).toEqual({ kind: 'stale' });
    await cache.populate(hex(other.digest), { kind: 'found', key: other }, 1_000);
    await kv.set(`api-key:v1:${hex(key.digest)}`, (await kv.get(`api-key:v1:${hex(other.digest)}`))!, 1_000);
    expect(await cache.get(hex(key.digest))).toEqual({ kind: 'stale' });
  });
});
