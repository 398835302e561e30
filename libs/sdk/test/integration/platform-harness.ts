// All five services in this process on the real backends (a Postgres database of this file,
// a Redis key prefix of this file, Kafka with consumer groups of this run), as a platform
// service sees them: through @aegis/sdk, with a key of its own that holds only the permissions
// the guard needs. End users live in a tenant of this run, so the shared Kafka topics cannot
// mix other runs' numbers into ours.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authService } from '@aegis/auth-service';
import { billingService } from '@aegis/billing-service';
import { piiService } from '@aegis/pii-service';
import { policyService } from '@aegis/policy-service';
import { ratelimitService } from '@aegis/ratelimit-service';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import { createLogger, startServices, type RunningServices } from '@aegis/shared';
import { createTestDatabase, createTestRedis, requireKafka, uniqueKafkaName, type TestDatabase, type TestRedis } from '@aegis/shared/testing';
import { createAegisClients, GUARD_PERMISSIONS, type AegisClients, type AegisServiceName } from '../../src/index.js';

const BANNER_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;
const PLATFORM_TENANT = 'default';

/** What a platform service using the guard must be granted (docs/contracts.md). */
export { GUARD_PERMISSIONS };

export interface RunningPlatform {
  urls: Record<AegisServiceName, string>;
  /** The platform service's key: a role with GUARD_PERMISSIONS only. */
  serviceKey: string;
  /** Clients with auth's bootstrap admin key, for setting up and checking. */
  admin: AegisClients;
  /** The end users' tenant. */
  tenantId: string;
  /** A user of the tenant with `roles`, and an API key of it. */
  user(roles: string[], tier?: RateLimitTier): Promise<{ userId: string; key: string; keyId: string }>;
  stop(): Promise<void>;
}

export async function startPlatform(): Promise<RunningPlatform> {
  const brokers = await requireKafka();
  const redis: TestRedis = await createTestRedis({ name: 'sdk-guard' });
  const db: TestDatabase = await createTestDatabase({ schema: 'auth' });
  const dataDir = await mkdtemp(join(tmpdir(), 'aegis-sdk-test-'));
  const cleanUp = async () => {
    await redis.close();
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  let running: RunningServices;
  try {
    running = await startServices([authService, policyService, ratelimitService, piiService, billingService], {
      processName: 'sdk-test',
      telemetry: false,
      logger: createLogger({ service: 'sdk-test', level: process.env['SDK_TEST_LOG'] === 'debug' ? 'warn' : 'silent' }),
      env: {
        AEGIS_DATA_DIR: dataDir, DATABASE_URL: db.url!, REDIS_URL: redis.url, KAFKA_BROKERS: brokers.join(','),
        AEGIS_REDIS_KEY_PREFIX: `t${randomBytes(5).toString('hex')}:`,
        AEGIS_AUTH_PORT: '0', AEGIS_POLICY_PORT: '0', AEGIS_RATELIMIT_PORT: '0', AEGIS_PII_PORT: '0', AEGIS_BILLING_PORT: '0',
        // Groups of this run only; the ledger starts at the end of the shared usage topic.
        AEGIS_BILLING_CONSUMER_GROUP: uniqueKafkaName('sdk-billing-ledger'), AEGIS_BILLING_CONSUMER_FROM_BEGINNING: 'false',
        AEGIS_BILLING_TENANT_SETTINGS_GROUP: uniqueKafkaName('sdk-billing-tenants'),
        AEGIS_POLICY_TENANT_SETTINGS_GROUP: uniqueKafkaName('sdk-policy-tenants'),
      },
    });
  } catch (err) {
    await cleanUp();
    throw err;
  }
  const [auth, policy, ratelimit, pii, billing] = running.services;
  const urls = { auth: auth!.url, policy: policy!.url, ratelimit: ratelimit!.url, pii: pii!.url, billing: billing!.url };
  const adminKey = auth!.banner.map((line) => BANNER_KEY.exec(line)?.[1]).find((k) => k !== undefined);
  if (adminKey === undefined) {
    await running.stop();
    await cleanUp();
    throw new Error('auth printed no bootstrap admin key');
  }
  const admin = createAegisClients({ urls, apiKey: adminKey, timeoutMs: 30_000 });

  // The platform service: a user of the platform tenant whose only role grants the guard's permissions.
  await admin.policy.roles.createRole({ tenantId: PLATFORM_TENANT, role: { name: 'aegis_guard', permissions: [...GUARD_PERMISSIONS] } });
  const { user: serviceUser } = await admin.auth.users.createUser({ tenantId: PLATFORM_TENANT, email: `agent-platform-${randomBytes(3).toString('hex')}@platform.test`, roles: ['aegis_guard'] });
  const serviceKey = (await admin.auth.apiKeys.createApiKey({ tenantId: PLATFORM_TENANT, userId: serviceUser!.userId, name: 'agent-platform' })).secret;

  const tenantId = `sdk-${randomBytes(4).toString('hex')}`;
  await admin.auth.tenants.createTenant({ tenantId, displayName: 'SDK test tenant', adminEmail: `admin@${tenantId}.test` });

  return {
    urls,
    serviceKey,
    admin,
    tenantId,
    async user(roles, tier) {
      const { user } = await admin.auth.users.createUser({ tenantId, email: `u-${randomBytes(4).toString('hex')}@${tenantId}.test`, roles });
      const created = await admin.auth.apiKeys.createApiKey({ tenantId, userId: user!.userId, name: 'agent-user', ...(tier !== undefined ? { tier } : {}) });
      return { userId: user!.userId, key: created.secret, keyId: created.apiKey!.keyId };
    },
    async stop() {
      await admin.close();
      const { failed } = await running.stop();
      await cleanUp();
      if (failed.length > 0) throw new Error(`services did not stop cleanly: ${failed.join(', ')}`);
    },
  };
}

/** Polls until `check` returns a value (not undefined) or `timeoutMs` passes. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function refusal(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal, the guard let the request through');
}
