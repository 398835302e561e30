// Policy-change notices between processes (Redis pub/sub) and between the services of one
// process (in memory), and what a decision cache makes of them.
import { randomBytes } from 'node:crypto';
import { createPolicyChanges, DecisionCache, invalidateOnPolicyChange, type PermissionDecision, type PolicyChange } from '../../../src/authz/index.js';
import { closeRedis, createRedis, type RedisClient } from '../../../src/redis/index.js';
import { createTestRedis, type TestRedis } from '../../../src/testing/redis.js';

async function eventually(done: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const allowAt = (policyVersion: bigint): PermissionDecision => ({
  allowed: true, permission: 'agent:read', reason: 'role_permission', explanation: '', policyVersion, matchedRole: 'viewer', matchedPolicies: [], obligations: undefined,
});

test('without Redis, every service of the process hears policy\'s notices', async () => {
  const policy = createPolicyChanges({ name: 'policy' });
  const billing = createPolicyChanges({ name: 'billing' });
  const heard: PolicyChange[] = [];
  const unsubscribe = await billing.subscribe((change) => heard.push(change));
  await policy.publish({ tenantId: 'acme', policyVersion: 12n });
  await eventually(() => heard.length === 1, 'the notice');
  expect(heard).toEqual([{ tenantId: 'acme', policyVersion: 12n }]);
  await unsubscribe();
  await policy.close();
  await billing.close();
});

describe('through Redis', () => {
  let redis: TestRedis;
  let url: string;
  let keyPrefix: string;
  // Unprefixed, to publish raw messages and list connections.
  let admin: RedisClient;

  beforeAll(async () => {
    redis = await createTestRedis({ name: 'policy-changes' });
    url = redis.url;
    keyPrefix = redis.keyPrefix;
    admin = createRedis({ url, name: 'policy-changes-admin' });
  });

  afterAll(async () => {
    if (admin !== undefined) await closeRedis(admin);
    await redis?.close();
  });

  test('another process\'s cache drops the tenant\'s older decisions; malformed notices are ignored', async () => {
    const policy = createPolicyChanges({ name: 'policy-a', redisUrl: url, keyPrefix });
    const pii = createPolicyChanges({ name: 'pii-b', redisUrl: url, keyPrefix });
    const cache = new DecisionCache();
    const heard: PolicyChange[] = [];
    const unsubscribeCache = await invalidateOnPolicyChange(cache, pii);
    const unsubscribe = await pii.subscribe((change) => heard.push(change));
    try {
      cache.set('acme', 'acme-1', allowAt(1n), cache.ticket());
      cache.set('globex', 'globex-1', allowAt(1n), cache.ticket());
      for (const junk of ['not json', '{"tenantId":"acme"}', '{"tenantId":"acme","policyVersion":"-1"}', '{"tenantId":"","policyVersion":"2"}']) {
        await admin.publish(`${keyPrefix}platform:policy-changes`, junk);
      }
      await policy.publish({ tenantId: 'acme', policyVersion: 2n });
      await eventually(() => heard.length === 1, 'the notice');
      expect(heard).toEqual([{ tenantId: 'acme', policyVersion: 2n }]);
      expect(cache.get('acme-1')).toBeUndefined();
      expect(cache.get('globex-1')).toBeDefined();
    } finally {
      await unsubscribe();
      await unsubscribeCache();
      await policy.close();
      await pii.close();
    }
  });

  test('when the subscriber connection is lost (notices may be gone), the cache forgets everything', async () => {
    const name = `pii-${randomBytes(4).toString('hex')}`;
    const pii = createPolicyChanges({ name, redisUrl: url, keyPrefix });
    const cache = new DecisionCache();
    const unsubscribe = await invalidateOnPolicyChange(cache, pii);
    try {
      cache.set('acme', 'a', allowAt(1n), cache.ticket());
      cache.set('globex', 'g', allowAt(1n), cache.ticket());
      const clients = String(await admin.client('LIST'));
      const ids = [...clients.matchAll(/id=(\d+) [^\n]* name=(\S+)/g)].filter((m) => m[2] === `${name}-policy-changes-sub`).map((m) => m[1]!);
      expect(ids).toHaveLength(1);
      await admin.client('KILL', 'ID', ids[0]!);
      await eventually(() => cache.size === 0, 'the cache to be cleared');
    } finally {
      await unsubscribe();
      await pii.close();
    }
  });
});
