// One suite, two implementations: what holds for Redis must hold in memory, and the reverse.
import { MemoryKeyValueStore, RedisKeyValueStore, type KeyValueStore } from '../../../src/kv/index.js';
import { createTestRedis } from '../../../src/testing/redis.js';

type Harness = { name: string; open(): Promise<{ store: KeyValueStore; close(): Promise<void> }> };

const memory: Harness = {
  name: 'memory',
  async open() {
    const store = new MemoryKeyValueStore();
    return { store, close: async () => store.close() };
  },
};

const redis: Harness = {
  name: 'redis',
  async open() {
    const test = await createTestRedis({ name: 'kv-contract' });
    return { store: new RedisKeyValueStore(test.client, test.keyPrefix), close: () => test.close() };
  },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each([memory, redis])('key-value store contract: $name', (harness) => {
  let store: KeyValueStore;
  let close: () => Promise<void>;
  beforeEach(async () => ({ store, close } = await harness.open()));
  afterEach(() => close());

  test('set then get; values expire after their ttl', async () => {
    await store.set('a', 'one', 150);
    expect(await store.get('a')).toBe('one');
    await sleep(250);
    expect(await store.get('a')).toBeUndefined();
  });

  test('setIfAbsent sets once', async () => {
    expect(await store.setIfAbsent('b', 'first', 10_000)).toBe(true);
    expect(await store.setIfAbsent('b', 'second', 10_000)).toBe(false);
    expect(await store.get('b')).toBe('first');
  });

  test('take returns a value to exactly one of many concurrent callers', async () => {
    await store.set('state', 'xyz', 10_000);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.take('state')));
    expect(results.filter((r) => r === 'xyz')).toHaveLength(1);
    expect(await store.get('state')).toBeUndefined();
  });

  test('increment counts within a window that starts with the first increment', async () => {
    const counts = await Promise.all(Array.from({ length: 10 }, () => store.increment('fails', 300)));
    expect(counts.sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await sleep(150);
    expect(await store.increment('fails', 300)).toBe(11); // the window did not restart
    await sleep(250);
    expect(await store.increment('fails', 300)).toBe(1);
  });

  test('delete removes', async () => {
    await store.set('c', 'v', 10_000);
    await store.delete('c');
    expect(await store.get('c')).toBeUndefined();
  });
});
