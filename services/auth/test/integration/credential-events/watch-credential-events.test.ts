// WatchCredentialEvents on auth and policy started together (Postgres, Redis pub/sub): who may
// watch (credential:watch, decided by policy for API keys), which tenant's events each caller
// sees, and the stream's shape (subscribed first, heartbeats, the end of a revoked watcher).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { CredentialEventService, type WatchCredentialEventsResponse } from '@aegis/proto/aegis/auth/v1/credential_event_service_pb.js';
import { TenantService } from '@aegis/proto/aegis/auth/v1/tenant_service_pb.js';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { RoleService } from '@aegis/proto/aegis/policy/v1/role_service_pb.js';
import { policyService } from '@aegis/policy-service';
import { createLogger, startServices, type RunningServices } from '@aegis/shared';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@aegis/shared/testing';
import { authService } from '../../../src/definition.js';

const BANNER_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;
const PLATFORM = 'default';

let db: TestDatabase;
let redis: TestRedis;
let dataDir: string;
let running: RunningServices;
let authUrl: string;
let policyUrl: string;
let adminKey: string;

function clientsWith(key: string, url = authUrl) {
  const transport = createConnectTransport({ baseUrl: url, httpVersion: '1.1', interceptors: [(next) => (req) => { req.header.set('authorization', `Bearer ${key}`); return next(req); }] });
  return {
    watch: createClient(CredentialEventService, transport),
    apiKeys: createClient(ApiKeyService, transport),
    users: createClient(UserService, transport),
    tenants: createClient(TenantService, transport),
    roles: createClient(RoleService, createConnectTransport({ baseUrl: policyUrl, httpVersion: '1.1', interceptors: [(next) => (req) => { req.header.set('authorization', `Bearer ${key}`); return next(req); }] })),
  };
}

/** Reads a stream in the background; `next()` waits for the next message (or the end). */
function reader(stream: AsyncIterable<WatchCredentialEventsResponse>) {
  const messages: WatchCredentialEventsResponse[] = [];
  let ended: unknown = undefined;
  let done = false;
  const pump = (async () => {
    try {
      for await (const m of stream) messages.push(m);
    } catch (err) {
      ended = err;
    }
    done = true;
  })();
  return {
    messages,
    get done() { return done; },
    get error() { return ended; },
    async until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out; got ${messages.map((m) => m.event.case).join(',')}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    pump,
  };
}

async function userWithKey(admin: ReturnType<typeof clientsWith>, tenantId: string, roles: string[]) {
  const { user } = await admin.users.createUser({ tenantId, email: `u-${randomBytes(4).toString('hex')}@${tenantId}.test`, roles });
  const created = await admin.apiKeys.createApiKey({ tenantId, userId: user!.userId, name: 'watcher' });
  return { key: created.secret, keyId: created.apiKey!.keyId, userId: user!.userId };
}

beforeAll(async () => {
  db = await createTestDatabase({ schema: 'auth' });
  redis = await createTestRedis({ name: 'auth-credential-watch' });
  dataDir = await mkdtemp(join(tmpdir(), 'aegis-auth-watch-'));
  running = await startServices([authService, policyService], {
    processName: 'auth-watch-test',
    telemetry: false,
    logger: createLogger({ service: 'auth-watch-test', level: 'silent' }),
    env: {
      AEGIS_DATA_DIR: dataDir, DATABASE_URL: db.url!, REDIS_URL: redis.url, AEGIS_REDIS_KEY_PREFIX: `t${randomBytes(5).toString('hex')}:`,
      AEGIS_AUTH_PORT: '0', AEGIS_POLICY_PORT: '0', AEGIS_AUTH_CREDENTIAL_WATCH_HEARTBEAT_MS: '200', SHUTDOWN_GRACE_MS: '2000',
    },
  });
  authUrl = running.services[0]!.url;
  policyUrl = running.services[1]!.url;
  adminKey = running.services[0]!.banner.map((line) => BANNER_KEY.exec(line)?.[1]).find((k) => k !== undefined)!;
});

afterAll(async () => {
  await running?.stop();
  await redis?.close();
  await db?.close();
  await rm(dataDir, { recursive: true, force: true });
});

test('subscribed first, heartbeats in the silences; the platform admin sees every tenant, a tenant admin only its own', async () => {
  const admin = clientsWith(adminKey);
  const a = `wa-${randomBytes(3).toString('hex')}`;
  const b = `wb-${randomBytes(3).toString('hex')}`;
  await admin.tenants.createTenant({ tenantId: a, displayName: 'A', adminEmail: `admin@${a}.test` });
  await admin.tenants.createTenant({ tenantId: b, displayName: 'B', adminEmail: `admin@${b}.test` });
  const tenantAdmin = await userWithKey(admin, a, ['admin']);
  const keyA = await userWithKey(admin, a, ['developer']);
  const keyB = await userWithKey(admin, b, ['developer']);

  const platformWatch = new AbortController();
  const tenantWatch = new AbortController();
  const all = reader(admin.watch.watchCredentialEvents({}, { signal: platformWatch.signal }));
  const onlyA = reader(clientsWith(tenantAdmin.key).watch.watchCredentialEvents({}, { signal: tenantWatch.signal }));
  try {
    await all.until(() => all.messages.length >= 2);
    await onlyA.until(() => onlyA.messages.length >= 1);
    expect(all.messages[0]!.event.case).toBe('subscribed');
    expect(all.messages[1]!.event.case).toBe('heartbeat');
    expect(onlyA.messages[0]!.event).toMatchObject({ case: 'subscribed', value: { tenantId: a } });

    await admin.apiKeys.revokeApiKey({ tenantId: b, keyId: keyB.keyId });
    await admin.apiKeys.revokeApiKey({ tenantId: a, keyId: keyA.keyId });
    const changed = (r: typeof all) => r.messages.filter((m) => m.event.case === 'apiKeyChanged').map((m) => m.event.value);
    await all.until(() => changed(all).length === 2);
    await onlyA.until(() => changed(onlyA).length === 1);
    expect(changed(all)).toEqual([expect.objectContaining({ tenantId: b, keyId: keyB.keyId }), expect.objectContaining({ tenantId: a, keyId: keyA.keyId })]);
    // Heartbeats came in between; B's revocation never reached A's admin.
    expect(changed(onlyA)).toEqual([expect.objectContaining({ tenantId: a, keyId: keyA.keyId })]);

    // A tenant caller naming another tenant is refused.
    const other = reader(clientsWith(tenantAdmin.key).watch.watchCredentialEvents({ tenantId: b }));
    await other.until(() => other.done);
    expect(ConnectError.from(other.error).code).toBe(Code.PermissionDenied);
  } finally {
    platformWatch.abort();
    tenantWatch.abort();
  }
});

test('an API key watches only with credential:watch from its roles (decided by policy)', async () => {
  const admin = clientsWith(adminKey);
  await admin.roles.createRole({ tenantId: PLATFORM, role: { name: `watcher_${randomBytes(3).toString('hex')}`, permissions: ['credential:watch'] } }).then(async ({ role }) => {
    const watcher = await userWithKey(admin, PLATFORM, [role!.name]);
    const stream = new AbortController();
    const allowed = reader(clientsWith(watcher.key).watch.watchCredentialEvents({}, { signal: stream.signal }));
    await allowed.until(() => allowed.messages.length >= 1);
    expect(allowed.messages[0]!.event.case).toBe('subscribed');
    // Revoking the watcher's own key ends its stream, after telling it.
    await admin.apiKeys.revokeApiKey({ tenantId: PLATFORM, keyId: watcher.keyId });
    await allowed.until(() => allowed.done);
    expect(ConnectError.from(allowed.error).code).toBe(Code.Unauthenticated);
    expect(allowed.messages.some((m) => m.event.case === 'apiKeyChanged' && m.event.value.keyId === watcher.keyId)).toBe(true);
  });

  const viewer = await userWithKey(admin, PLATFORM, ['viewer']);
  const denied = reader(clientsWith(viewer.key).watch.watchCredentialEvents({}));
  await denied.until(() => denied.done);
  expect(ConnectError.from(denied.error).code).toBe(Code.PermissionDenied);
  expect(denied.messages).toEqual([]);
});
