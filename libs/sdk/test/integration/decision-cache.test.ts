// The guard's decision cache against real auth and policy services (Postgres + Redis + Kafka,
// and policy's embedded backends), with the platform service's guard key: repeated checks are
// answered locally while WatchPolicyChanges is live; a policy change reaches the next
// authorization within a second of its commit; decisions that read the clock or the request
// are never reused; losing the stream empties the cache and every check goes to policy until
// the stream is back after policy restarts. Checks are counted by an interceptor.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import type { Interceptor } from '@connectrpc/connect';
import { authService } from '@aegis/auth-service';
import { policyService } from '@aegis/policy-service';
import { PrincipalSchema, type Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { createLogger, startServices, type RunningServices } from '@aegis/shared';
import { createTestDatabase, createTestRedis, requireKafka, uniqueKafkaName, type TestDatabase, type TestRedis } from '@aegis/shared/testing';
import { createAegisClients, GUARD_PERMISSIONS, PermissionDeniedError, type AegisClients } from '../../src/index.js';
import { authorize } from '../../src/guard/authorize.js';
import type { GuardRequest } from '../../src/guard/types.js';

const BANNER_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;
const TENANT = 'default';
const logger = createLogger({ service: 'sdk-decision-cache-test', level: 'silent' });

interface Backend {
  name: string;
  /** Environment of one process group; `group` keeps embedded state apart per service. */
  env(group: 'auth' | 'policy'): Promise<Record<string, string>>;
  tearDown(): Promise<void>;
}

function embedded(): Backend {
  const dirs: Record<string, string> = {};
  return {
    name: 'embedded policy',
    async env(group) {
      dirs[group] ??= await mkdtemp(join(tmpdir(), `aegis-sdk-dc-${group}-`));
      return { AEGIS_DATA_DIR: dirs[group]! };
    },
    tearDown: async () => {
      await Promise.all(Object.values(dirs).map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

function real(): Backend {
  let db: TestDatabase | undefined;
  let redis: TestRedis | undefined;
  let dataDir: string | undefined;
  const prefix = `t${randomBytes(5).toString('hex')}:`;
  const group = uniqueKafkaName('sdk-dc-policy-tenants');
  return {
    name: 'Postgres + Redis + Kafka',
    async env() {
      const brokers = await requireKafka();
      redis ??= await createTestRedis({ name: 'sdk-decision-cache' });
      db ??= await createTestDatabase({ schema: 'policy' });
      dataDir ??= await mkdtemp(join(tmpdir(), 'aegis-sdk-dc-'));
      return {
        AEGIS_DATA_DIR: dataDir, DATABASE_URL: db.url!, REDIS_URL: redis.url, KAFKA_BROKERS: brokers.join(','),
        AEGIS_REDIS_KEY_PREFIX: prefix, AEGIS_POLICY_TENANT_SETTINGS_GROUP: group,
      };
    },
    async tearDown() {
      await redis?.close();
      await db?.close();
      if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value, or fails after `timeoutMs`. */
async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

describe.each([['Postgres + Redis + Kafka', real], ['embedded policy', embedded]])('decision cache (%s)', (_name, makeBackend) => {
  const run = randomBytes(4).toString('hex');
  const backend = makeBackend();
  let auth: RunningServices;
  let policy: RunningServices | undefined;
  let policyPort = 0;
  let admin: AegisClients;
  let sdk: AegisClients;
  let checks = 0;

  const startPolicy = async () => {
    policy = await startServices([policyService], {
      processName: 'sdk-dc-policy', telemetry: false, logger,
      env: { ...(await backend.env('policy')), AEGIS_POLICY_PORT: String(policyPort), AEGIS_AUTH_URL: auth.services[0]!.url, AEGIS_POLICY_WATCH_HEARTBEAT_MS: '200' },
    });
    policyPort = Number(new URL(policy.services[0]!.url).port);
  };

  beforeAll(async () => {
    auth = await startServices([authService], { processName: 'sdk-dc-auth', telemetry: false, logger, env: { ...(await backend.env('auth')), AEGIS_AUTH_PORT: '0' } });
    await startPolicy();
    const authUrl = auth.services[0]!.url;
    const policyUrl = policy!.services[0]!.url;
    const urls = { auth: authUrl, policy: policyUrl, ratelimit: policyUrl, pii: policyUrl, billing: policyUrl };
    const adminKey = auth.services[0]!.banner.map((line) => BANNER_KEY.exec(line)?.[1]).find((k) => k !== undefined)!;
    admin = createAegisClients({ urls, apiKey: adminKey, timeoutMs: 30_000, decisionCache: false });
    // The platform service's own key: a role with the guard's permissions only.
    await admin.policy.roles.createRole({ tenantId: TENANT, role: { name: `guard_${run}`, permissions: [...GUARD_PERMISSIONS] } });
    const { user } = await admin.auth.users.createUser({ tenantId: TENANT, email: `platform-${run}@platform.test`, roles: [`guard_${run}`] });
    const serviceKey = (await admin.auth.apiKeys.createApiKey({ tenantId: TENANT, userId: user!.userId, name: 'platform' })).secret;
    const countChecks: Interceptor = (next) => (req) => {
      if (req.method.name === 'Check') checks += 1;
      return next(req);
    };
    sdk = createAegisClients({ urls, apiKey: serviceKey, interceptors: [countChecks], decisionCache: { initialBackoffMs: 50, maxBackoffMs: 200 } });
  }, 90_000);

  afterAll(async () => {
    await sdk?.close();
    await admin?.close();
    await policy?.stop();
    await auth?.stop();
    await backend.tearDown();
  }, 60_000);

  const cache = () => sdk.policy.decisionCache!;
  const principal = (roles: string[]): Principal => create(PrincipalSchema, { tenantId: TENANT, id: `u-${run}`, userId: `u-${run}`, roles });
  const ask = (p: Principal, kind: string, action: string, extra: Partial<GuardRequest> = {}) =>
    authorize(sdk.policy, p, { credential: undefined, action, resource: { kind }, model: { provider: 'openai', model: 'gpt-4o' }, input: '', ...extra }, {});
  const outcome = (p: Promise<unknown>) => p.then(() => 'allow', (err: unknown) => {
    if (err instanceof PermissionDeniedError) return 'deny';
    throw err;
  });
  const live = () => eventually(() => (cache().stats().live ? true : undefined), 'the change stream to be live');

  test('a repeated check is answered locally, allow and deny alike', async () => {
    const role = `analyst_${run}`;
    await admin.policy.roles.createRole({ tenantId: TENANT, role: { name: role, permissions: ['report:read'], modelAccess: ['*'] } });
    const p = principal([role]);
    await ask(p, 'report', 'read'); // opens the stream
    await live();
    const before = checks;
    for (let i = 0; i < 5; i++) await ask(p, 'report', 'read');
    for (let i = 0; i < 3; i++) expect(await outcome(ask(p, 'report', 'delete'))).toBe('deny');
    expect(checks - before).toBe(2);
    expect(cache().stats().hits).toBeGreaterThanOrEqual(6);
    // Anything else in the request is another question.
    await ask(principal([role, 'viewer']), 'report', 'read');
    await ask(p, 'report', 'read', { resource: { kind: 'report', attributes: { team: 'x' } } });
    await ask(p, 'report', 'read', { context: { channel: 'web' } });
    expect(checks - before).toBe(5);
  }, 30_000);

  test('a policy change reaches the next check within a second of its commit', async () => {
    const role = `exporter_${run}`;
    await admin.policy.roles.createRole({ tenantId: TENANT, role: { name: role, permissions: ['report:export'], modelAccess: ['*'] } });
    const p = principal([role]);
    await live();
    expect(await outcome(ask(p, 'report', 'export'))).toBe('allow');
    const before = checks;
    expect(await outcome(ask(p, 'report', 'export'))).toBe('allow');
    expect(checks).toBe(before); // cached
    await admin.policy.policies.createPolicy({
      tenantId: TENANT,
      policy: { name: `freeze_${run}`, condition: {} as never, actions: ['report:export'], effect: Effect.DENY, enabled: true },
    });
    const committedAt = Date.now(); // the admin call returns after its commit
    await eventually(async () => ((await outcome(ask(p, 'report', 'export'))) === 'deny' ? true : undefined), 'the deny to be seen', 5_000, 10);
    expect(Date.now() - committedAt).toBeLessThan(1_000);
    // And it stays seen (the old allow is never served again).
    for (let i = 0; i < 3; i++) expect(await outcome(ask(p, 'report', 'export'))).toBe('deny');
  }, 30_000);

  test('decisions that read the clock or the client IP are never reused', async () => {
    await admin.policy.policies.createPolicy({
      tenantId: TENANT,
      policy: { name: `office_ip_${run}`, condition: { 'request.ip': '10.7.7.7' } as never, actions: ['vault:open'], effect: Effect.ALLOW, enabled: true },
    });
    await admin.policy.policies.createPolicy({
      tenantId: TENANT,
      policy: { name: `hours_${run}`, condition: { 'time.business_hours': false } as never, actions: ['ledger:close'], effect: Effect.DENY, enabled: true },
    });
    // No role grants vault:open (this one only gives model access): the allow policy decides, reading request.ip.
    await admin.policy.roles.createRole({ tenantId: TENANT, role: { name: `models_${run}`, permissions: ['x:y'], modelAccess: ['*'] } });
    const p = principal([`models_${run}`]);
    await live();
    await eventually(async () => ((await outcome(ask(p, 'vault', 'open', { clientIp: '10.7.7.7' }))) === 'allow' ? true : undefined), 'the ip policy');
    const before = checks;
    for (let i = 0; i < 3; i++) expect(await outcome(ask(p, 'vault', 'open', { clientIp: '10.7.7.7' }))).toBe('allow');
    // The deny policy reads the clock whatever the roles.
    const adminUser = principal(['admin']);
    for (let i = 0; i < 3; i++) await outcome(ask(adminUser, 'ledger', 'close'));
    expect(checks - before).toBe(6);
    expect(await outcome(ask(p, 'vault', 'open', { clientIp: '10.7.7.8' }))).toBe('deny');
  }, 30_000);

  test('without the stream every check goes to policy; after policy restarts the cache is back', async () => {
    const role = `restart_${run}`;
    await admin.policy.roles.createRole({ tenantId: TENANT, role: { name: role, permissions: ['job:run'], modelAccess: ['*'] } });
    const p = principal([role]);
    await live();
    await ask(p, 'job', 'run');
    expect(cache().stats().entries).toBeGreaterThan(0);

    await policy!.stop();
    await eventually(() => (cache().stats().live ? undefined : true), 'the stream to be lost');
    expect(cache().stats().entries).toBe(0);

    await startPolicy();
    await live();
    const before = checks;
    await ask(p, 'job', 'run'); // the cache started empty: asked
    await ask(p, 'job', 'run');
    expect(checks - before).toBe(1);
  }, 60_000);

  test('with decisionCache: false every check goes to policy', async () => {
    const before = checks;
    const plain = createAegisClients({
      urls: policy!.services[0]!.url, apiKey: 'unused', decisionCache: false,
      transport: undefined,
    });
    expect(plain.policy.decisionCache).toBeUndefined();
    await plain.close();
    expect(checks).toBe(before);
  });
});
