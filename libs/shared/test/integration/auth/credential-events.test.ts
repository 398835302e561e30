import { createCredentialEvents, type CredentialEvent } from '../../../src/auth/index.js';
import { testRedisUrl } from '../../../src/testing/redis.js';
import { createRedis, closeRedis } from '../../../src/redis/index.js';

function collector() {
  const seen: CredentialEvent[] = [];
  return {
    seen,
    handler: (event: CredentialEvent) => seen.push(event),
    async waitFor(count: number, timeoutMs = 3_000) {
      const deadline = Date.now() + timeoutMs;
      while (seen.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return seen;
    },
  };
}

test('without Redis, every service of the process hears the same channel', async () => {
  const auth = createCredentialEvents({ name: 'auth' });
  const policy = createCredentialEvents({ name: 'policy' });
  const heard = collector();
  const unsubscribe = await policy.subscribe(heard.handler);
  await auth.publish({ kind: 'api_key', tenantId: 't1', keyId: 'k1' });
  expect(await heard.waitFor(1)).toEqual([{ kind: 'api_key', tenantId: 't1', keyId: 'k1' }]);
  await unsubscribe();
  await auth.close();
  await policy.close();
});

test('with Redis, instances in different processes (connections) hear each other; malformed messages are ignored', async () => {
  const url = testRedisUrl();
  const publisher = createCredentialEvents({ name: 'auth-a', redisUrl: url });
  const subscriber = createCredentialEvents({ name: 'gateway-b', redisUrl: url });
  const heard = collector();
  const unsubscribe = await subscriber.subscribe(heard.handler);
  const raw = createRedis({ url, name: 'raw' });
  try {
    await raw.publish('aegis:platform:credential-events', 'not json');
    const event: CredentialEvent = { kind: 'access_token', jti: 'j-1', expiresAt: Date.now() + 60_000 };
    await publisher.publish(event);
    expect(await heard.waitFor(1)).toEqual([event]);
    await new Promise((r) => setTimeout(r, 100));
    expect(heard.seen).toHaveLength(1);
  } finally {
    await unsubscribe();
    await closeRedis(raw);
    await publisher.close();
    await subscriber.close();
  }
});
