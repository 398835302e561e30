// The permission interceptor against the real policy service, started with auth: a small
// service with `requirePermissions` (PiiService.Detect needs pii:detect, DlpService.GetDlpRule
// needs dlp:read and then checks workflow:delete itself through ctx.permissions), called with
// API keys of users auth created. Decisions are cached for a minute here, so a role change that
// shows within a second came through the policy-change notice, not the TTL. Twice: all in one
// process (npm start: policy in process, notices in memory), and as separate processes
// (AEGIS_POLICY_URL, the caller's credential forwarded, notices through Redis pub/sub).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, ConnectError, createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { authService } from '@aegis/auth-service';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { DlpService } from '@aegis/proto/aegis/pii/v1/dlp_service_pb.js';
import { PiiService } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import { RoleService } from '@aegis/proto/aegis/policy/v1/role_service_pb.js';
import { createLogger, currentPermissionDecision, startServices, type RunningServices, type ServiceDefinition } from '@aegis/shared';
import { createTestRedis, type TestRedis } from '@aegis/shared/testing';
import { policyService } from '../../../src/definition.js';

const TENANT = 'default';
const BANNER_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;
const logger = createLogger({ service: 'interceptor-test', level: 'silent' });

/** A service guarded by the permission interceptor. */
const guardedService: ServiceDefinition = {
  name: 'guarded',
  defaultPort: 0,
  requirePermissions: true,
  async build(ctx) {
    const permissions = ctx.permissions!;
    return {
      routes(router) {
        router.service(PiiService, {
          // The allowing decision travels to the handler: its matched role comes back in `types`.
          detect: (_req, handler) => ({ types: [currentPermissionDecision(handler)?.matchedRole ?? ''] }),
        });
        router.service(DlpService, {
          getDlpRule: async (req, handler) => {
            await permissions.requireForCaller(handler, 'workflow:delete', { id: req.name });
            return { rule: { name: req.name } };
          },
        });
      },
    };
  },
};

// Cached for a minute: only a notice can make a change visible within the test's second.
const CACHE_ENV = { AEGIS_PERMISSION_CACHE_TTL_MS: '60s', AEGIS_PERMISSION_CACHE_DENY_TTL_MS: '60s' };

interface Deployment {
  authUrl: string;
  policyUrl: string;
  guardedUrl: string;
  adminKey: string;
  stop(): Promise<void>;
}

async function tempDir(dirs: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'aegis-interceptor-test-'));
  dirs.push(dir);
  return dir;
}

function adminKeyOf(running: RunningServices): string {
  const key = running.services[0]!.banner.map((line) => BANNER_KEY.exec(line)?.[1]).find((k) => k !== undefined);
  if (key === undefined) throw new Error('auth printed no bootstrap admin key');
  return key;
}

/** npm start: auth, policy and the guarded service in one process, no Redis, no URLs. */
async function onePlatformProcess(): Promise<Deployment> {
  const dirs: string[] = [];
  const running = await startServices([authService, policyService, guardedService], {
    processName: 'interceptor-test',
    telemetry: false,
    logger,
    env: { AEGIS_DATA_DIR: await tempDir(dirs), AEGIS_AUTH_PORT: '0', AEGIS_POLICY_PORT: '0', AEGIS_GUARDED_PORT: '0', ...CACHE_ENV },
  });
  const [auth, policy, guarded] = running.services;
  return {
    authUrl: auth!.url,
    policyUrl: policy!.url,
    guardedUrl: guarded!.url,
    adminKey: adminKeyOf(running),
    async stop() {
      await running.stop();
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

/** Auth+policy in one process, the guarded service in another (its own event log and database). */
async function separateProcesses(redis: TestRedis): Promise<Deployment> {
  const dirs: string[] = [];
  const redisEnv = { REDIS_URL: redis.url, AEGIS_REDIS_KEY_PREFIX: `t${randomBytes(5).toString('hex')}:` };
  const platform = await startServices([authService, policyService], {
    processName: 'interceptor-test-platform',
    telemetry: false,
    logger,
    env: { AEGIS_DATA_DIR: await tempDir(dirs), AEGIS_AUTH_PORT: '0', AEGIS_POLICY_PORT: '0', ...redisEnv },
  });
  const [auth, policy] = platform.services;
  let guarded: RunningServices;
  try {
    guarded = await startServices([guardedService], {
      processName: 'interceptor-test-guarded',
      telemetry: false,
      logger,
      env: { AEGIS_DATA_DIR: await tempDir(dirs), AEGIS_GUARDED_PORT: '0', AEGIS_AUTH_URL: auth!.url, AEGIS_POLICY_URL: policy!.url, ...redisEnv, ...CACHE_ENV },
    });
  } catch (err) {
    await platform.stop();
    throw err;
  }
  return {
    authUrl: auth!.url,
    policyUrl: policy!.url,
    guardedUrl: guarded.services[0]!.url,
    adminKey: adminKeyOf(platform),
    async stop() {
      await guarded.stop();
      await platform.stop();
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

function transportAt(url: string, credential: string) {
  const bearer: Interceptor = (next) => (req) => {
    req.header.set('authorization', `Bearer ${credential}`);
    return next(req);
  };
  return createConnectTransport({ baseUrl: url, httpVersion: '1.1', interceptors: [bearer] });
}

async function rejection(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('the call succeeded, but a rejection was expected');
}

/** `permission_decisions_total` of the guarded service, by `source/effect`. */
async function decisionCounts(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^permission_decisions_total\{source="(\w+)",effect="(\w+)"\} (\d+)/gm)) counts[`${m[1]}/${m[2]}`] = Number(m[3]);
  return counts;
}

describe.each([
  { name: 'one process (npm start): policy in process, notices in memory', separate: false },
  { name: 'separate processes: AEGIS_POLICY_URL, notices through Redis pub/sub', separate: true },
])('permission interceptor, $name', ({ separate }) => {
  let redis: TestRedis | undefined;
  let deployment: Deployment;
  let roles: Client<typeof RoleService>;
  let users: Client<typeof UserService>;
  let keys: Client<typeof ApiKeyService>;

  const guarded = (credential: string) => {
    const transport = transportAt(deployment.guardedUrl, credential);
    return { pii: createClient(PiiService, transport), dlp: createClient(DlpService, transport) };
  };

  /** An API key of a new user of the platform tenant holding `userRoles`. */
  async function keyWithRoles(userRoles: string[]): Promise<string> {
    const { user } = await users.createUser({ tenantId: TENANT, email: `u-${randomBytes(4).toString('hex')}@x.test`, roles: userRoles });
    return (await keys.createApiKey({ tenantId: TENANT, userId: user!.userId, name: 'interceptor-test' })).secret;
  }

  beforeAll(async () => {
    const leaked = Object.keys(process.env).filter((name) => name.startsWith('AEGIS_AUTH_') || name.startsWith('AEGIS_POLICY_') || name.startsWith('AEGIS_PERMISSION_'));
    if (leaked.length > 0) throw new Error(`unset ${leaked.join(', ')} to run the permission interceptor tests`);
    if (separate) redis = await createTestRedis({ name: 'permission-interceptor' });
    deployment = separate ? await separateProcesses(redis!) : await onePlatformProcess();
    roles = createClient(RoleService, transportAt(deployment.policyUrl, deployment.adminKey));
    const auth = transportAt(deployment.authUrl, deployment.adminKey);
    users = createClient(UserService, auth);
    keys = createClient(ApiKeyService, auth);
  });

  afterAll(async () => {
    await deployment?.stop();
    await redis?.close();
  });

  test('a viewer is denied pii:detect, naming the permission and why; an admin is allowed, the decision reaching the handler', async () => {
    const viewer = await keyWithRoles(['viewer']);
    const denied = await rejection(guarded(viewer).pii.detect({ tenantId: TENANT }));
    expect(denied.code).toBe(Code.PermissionDenied);
    expect(denied.rawMessage).toBe('missing permission pii:detect: no role grants pii:detect and no policy allows it');
    const allowed = await guarded(deployment.adminKey).pii.detect({ tenantId: TENANT });
    expect(allowed.types).toEqual(['admin']);
  });

  test('a handler decides on one resource with ctx.permissions, for the caller of the RPC', async () => {
    await roles.createRole({ tenantId: TENANT, role: { name: 'dlp_auditor', permissions: ['dlp:read'] } });
    const auditor = await keyWithRoles(['dlp_auditor']);
    // Passing the interceptor (dlp:read) is not enough: the handler also wants workflow:delete.
    const denied = await rejection(pollUntil(() => guarded(auditor).dlp.getDlpRule({ tenantId: TENANT, name: 'r1' }), (err) => ConnectError.from(err).rawMessage.startsWith('missing permission workflow:delete')));
    expect(denied.code).toBe(Code.PermissionDenied);
    expect((await guarded(deployment.adminKey).dlp.getDlpRule({ tenantId: TENANT, name: 'r1' })).rule?.name).toBe('r1');
  });

  test('a role change through RoleService reaches the cached decisions within a second', async () => {
    await roles.createRole({ tenantId: TENANT, role: { name: 'pii_reader', permissions: ['agent:read'] } });
    const reader = await keyWithRoles(['pii_reader']);
    const detect = () => guarded(reader).pii.detect({ tenantId: TENANT });
    expect((await rejection(detect())).code).toBe(Code.PermissionDenied);
    const before = await decisionCounts(deployment.guardedUrl);
    expect((await rejection(detect())).code).toBe(Code.PermissionDenied);
    // The second denial came from the cache, which would keep it for a minute.
    expect((await decisionCounts(deployment.guardedUrl))['cache/deny']).toBe((before['cache/deny'] ?? 0) + 1);

    await roles.updateRole({ tenantId: TENANT, role: { name: 'pii_reader', permissions: ['agent:read', 'pii:detect'] } });
    const changedAt = Date.now();
    const allowed = await pollUntil(detect, () => false);
    expect(Date.now() - changedAt).toBeLessThan(1_000);
    expect(allowed.types).toEqual(['pii_reader']);

    // And back: taking the permission away is heard just the same.
    await roles.updateRole({ tenantId: TENANT, role: { name: 'pii_reader', permissions: ['agent:read'] } });
    const revokedAt = Date.now();
    const err = await rejection(pollUntil(detect, (e) => ConnectError.from(e).code === Code.PermissionDenied, 'fail'));
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
    expect(err.code).toBe(Code.PermissionDenied);
  });
});

test('with the policy service unreachable, calls fail closed with Unavailable', async () => {
  const dirs: string[] = [];
  const platform = await startServices([authService, guardedService], {
    processName: 'interceptor-test-no-policy',
    telemetry: false,
    logger,
    // A port nothing listens on: policy is down.
    env: { AEGIS_DATA_DIR: await tempDir(dirs), AEGIS_AUTH_PORT: '0', AEGIS_GUARDED_PORT: '0', AEGIS_POLICY_URL: 'http://127.0.0.1:9', AEGIS_POLICY_CHECK_TIMEOUT_MS: '500' },
  });
  try {
    const err = await rejection(guarded(platform).pii.detect({ tenantId: TENANT }));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).toContain('policy service is unavailable');
  } finally {
    await platform.stop();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }

  function guarded(running: RunningServices) {
    return { pii: createClient(PiiService, transportAt(running.services[1]!.url, adminKeyOf(running))) };
  }
});

/**
 * Calls until it succeeds, or (with `until: 'fail'`) until it fails with an error `accept`s;
 * other outcomes are retried for at most 2 s. Returns the success or rethrows the failure.
 */
async function pollUntil<T>(call: () => Promise<T>, accept: (err: unknown) => boolean, until: 'succeed' | 'fail' = 'succeed'): Promise<T> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    try {
      const value = await call();
      if (until === 'succeed' || Date.now() > deadline) return value;
    } catch (err) {
      if (accept(err) || Date.now() > deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
