import { randomBytes } from 'node:crypto';
import { closeRedis, createRedis, createRedisPubSub, type RedisClient, type RedisPubSub } from '../../../src/redis/index.js';
import { createTestRedis, type TestRedis } from '../../../src/testing/redis.js';

async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('createRedisPubSub', () => {
  let redis: TestRedis;
  let admin: RedisClient;
  const buses: RedisPubSub[] = [];
  const name = `pubsub-${randomBytes(4).toString('hex')}`;
  const bus = (keyPrefix: string, busName = name): RedisPubSub => {
    const created = createRedisPubSub({ url: redis.url, name: busName, keyPrefix });
    buses.push(created);
    return created;
  };

  beforeAll(async () => {
    redis = await createTestRedis();
    admin = createRedis({ url: redis.url, name: 'pubsub-test-admin' });
  });
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await closeRedis(admin);
    await redis.close();
  });

  it('delivers published messages to subscribers until they unsubscribe', async () => {
    const pubsub = bus(redis.keyPrefix);
    const first: string[] = [];
    const second: string[] = [];
    const stopFirst = await pubsub.subscribe('policy-invalidate', (m) => first.push(m));
    await pubsub.subscribe('policy-invalidate', (m) => second.push(m));

    expect(await pubsub.publish('policy-invalidate', 'tenant-1')).toBe(1); // one subscriber connection, two handlers
    await eventually(() => second.length === 1, 'the first message');
    expect(first).toEqual(['tenant-1']);

    await stopFirst();
    await pubsub.publish('policy-invalidate', 'tenant-2');
    await eventually(() => second.length === 2, 'the second message');
    expect(first).toEqual(['tenant-1']); // dispatched together with `second`: had it been subscribed, it would hold tenant-2
  });

  it('keeps channels of different key prefixes apart', async () => {
    const mine = bus(redis.keyPrefix);
    const neighbour = bus(`${redis.keyPrefix}other:`);
    const received: string[] = [];
    await mine.subscribe('cache', (m) => received.push(`mine:${m}`));
    await neighbour.subscribe('cache', (m) => received.push(`neighbour:${m}`));

    await neighbour.publish('cache', 'n1');
    await mine.publish('cache', 'm1');
    await eventually(() => received.length === 2, 'both messages');
    expect(received.sort()).toEqual(['mine:m1', 'neighbour:n1']);
    expect(await admin.pubsub('NUMSUB', `${redis.keyPrefix}cache`)).toEqual([`${redis.keyPrefix}cache`, 1]);
  });

  it('re-subscribes by itself after its connection is killed, and says so', async () => {
    const busName = `${name}-kill`;
    const pubsub = bus(redis.keyPrefix, busName);
    const received: string[] = [];
    let reconnects = 0;
    await pubsub.subscribe('keys-revoked', (m) => received.push(m), { onReconnect: () => (reconnects += 1) });

    const clients = String(await admin.client('LIST'));
    const subscriberId = /id=(\d+) [^\n]* name=(\S+)/g;
    const ids = [...clients.matchAll(subscriberId)].filter((m) => m[2] === `${busName}-sub`).map((m) => m[1] as string);
    expect(ids).toHaveLength(1);
    await admin.client('KILL', 'ID', ids[0] as string);

    await eventually(() => reconnects === 1, 'onReconnect');
    // Re-subscription is sent as the connection becomes ready; publish until the subscriber hears it.
    await eventually(
      () => {
        void pubsub.publish('keys-revoked', 'key-42');
        return received.includes('key-42');
      },
      'a message after reconnecting',
    );
  });
});
