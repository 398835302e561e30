// The guard's verification cache against a real auth service: Postgres, and credential
// events over Redis pub/sub or the in-process channel. Auth alone: the platform key is auth's
// bootstrap admin (the permission path is auth's own test, watch-credential-events.test.ts).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Interceptor } from '@connectrpc/connect';
import { authService } from '@aegis/auth-service';
import { createLogger, startServices, type RunningServices } from '@aegis/shared';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@aegis/shared/testing';
import { createAegisClients, GuardServiceError, UnauthenticatedError, type AegisClientOptions, type AegisClients } from '../../src/index.js';
import { authenticate } from '../../src/guard/authenticate.js';
import { eventually, refusal } from './platform-harness.js';

const BANNER_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.each([['Redis pub/sub', true], ['the in-process channel', false]])('verification cache, credential events over %s', (_name, withRedis) => {
  let db: TestDatabase;
  let redis: TestRedis | undefined;
  let dataDir: string;
  let port: number;
  let auth: RunningServices | undefined;
  let adminKey: string;
  let admin: AegisClients;
  let tenantId: string;
  const verifications = { count: 0 };
  const counting: Interceptor = (next) => (req) => {
    if (req.method.name === 'VerifyApiKey' || req.method.name === 'IntrospectToken') verifications.count++;
    return next(req);
  };
  const prefix = `t${randomBytes(5).toString('hex')}:`;

  async function startAuth(): Promise<RunningServices> {
    return startServices([authService], {
      processName: 'sdk-credential-cache-test',
      telemetry: false,
      logger: createLogger({ service: 'sdk-credential-cache-test', level: 'silent' }),
      env: {
        AEGIS_DATA_DIR: dataDir, DATABASE_URL: db.url!, AEGIS_AUTH_PORT: String(port), AEGIS_REDIS_KEY_PREFIX: prefix,
        ...(redis !== undefined ? { REDIS_URL: redis.url } : {}),
        AEGIS_AUTH_CREDENTIAL_WATCH_HEARTBEAT_MS: '200',
        // Never a developer's policy service: the admin key needs none.
        AEGIS_POLICY_URL: 'http://127.0.0.1:9',
        SHUTDOWN_GRACE_MS: '2000',
      },
    });
  }

  beforeAll(async () => {
    db = await createTestDatabase({ schema: 'auth' });
    if (withRedis) redis = await createTestRedis({ name: 'sdk-credential-cache' });
    dataDir = await mkdtemp(join(tmpdir(), 'aegis-sdk-cache-test-'));
    port = await freePort();
    auth = await startAuth();
    adminKey = auth.services[0]!.banner.map((line) => BANNER_KEY.exec(line)?.[1]).find((k) => k !== undefined)!;
    admin = createAegisClients({ urls: `http://127.0.0.1:${port}`, apiKey: adminKey, timeoutMs: 30_000, credentialCache: false });
    tenantId = `cache-${randomBytes(4).toString('hex')}`;
    await admin.auth.tenants.createTenant({ tenantId, displayName: 'cache test', adminEmail: `admin@${tenantId}.test` });
  });

  afterAll(async () => {
    await admin?.close();
    await auth?.stop();
    await redis?.close();
    await db?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function endUserKey(): Promise<{ key: string; keyId: string; userId: string }> {
    const { user } = await admin.auth.users.createUser({ tenantId, email: `u-${randomBytes(4).toString('hex')}@${tenantId}.test`, roles: ['developer'] });
    const created = await admin.auth.apiKeys.createApiKey({ tenantId, userId: user!.userId, name: 'agent-user' });
    return { key: created.secret, keyId: created.apiKey!.keyId, userId: user!.userId };
  }

  function guardClients(extra: Partial<AegisClientOptions> = {}): AegisClients {
    return createAegisClients({ urls: `http://127.0.0.1:${port}`, apiKey: adminKey, interceptors: [counting], ...extra });
  }

  async function live(clients: AegisClients): Promise<void> {
    await eventually(async () => (clients.auth.verifiedCredentials?.state === 'live' ? true : undefined), 10_000, 'the credential event stream');
  }

  test('a verified key is not asked about again while the stream is live, and is refused within 1 s of its revocation', async () => {
    const clients = guardClients();
    try {
      const { key, keyId } = await endUserKey();
      const first = await authenticate(clients.auth, key, tenantId, 'test', {});
      expect(first.apiKeyId).toBe(keyId);
      await live(clients);
      await authenticate(clients.auth, `Bearer ${key}`, tenantId, 'test', {});
      const before = verifications.count;
      for (let i = 0; i < 20; i++) expect((await authenticate(clients.auth, key, '', 'test', {})).apiKeyId).toBe(keyId);
      expect(verifications.count).toBe(before);
      // Another tenant's answer is auth's to give.
      await refusal(authenticate(clients.auth, key, 'some-other-tenant', 'test', {}));
      expect(verifications.count).toBe(before + 1);

      const revokedAt = performance.now();
      await admin.auth.apiKeys.revokeApiKey({ tenantId, keyId });
      let err: unknown;
      while (performance.now() - revokedAt < 5_000) {
        err = await authenticate(clients.auth, key, tenantId, 'test', {}).then(() => undefined, (e: unknown) => e);
        if (err !== undefined) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(err).toBeInstanceOf(UnauthenticatedError);
      expect((err as UnauthenticatedError).reason).toBe('revoked');
      expect(performance.now() - revokedAt).toBeLessThan(1_000);
    } finally {
      await clients.close();
    }
  });

  test('refusals are never cached: every attempt with a bad key reaches auth', async () => {
    const clients = guardClients();
    try {
      await authenticate(clients.auth, 'warm-up', tenantId, 'test', {}).catch(() => undefined);
      await live(clients);
      const before = verifications.count;
      for (let i = 0; i < 3; i++) await refusal(authenticate(clients.auth, `genxai_live_${'x'.repeat(38)}`, tenantId, `bad-${i}`, {}));
      expect(verifications.count).toBe(before + 3);
    } finally {
      await clients.close();
    }
  });

  test('a disabled user: their key is dropped from the cache at once', async () => {
    const clients = guardClients();
    try {
      const { key, userId } = await endUserKey();
      await authenticate(clients.auth, key, tenantId, 'test', {});
      await live(clients);
      await authenticate(clients.auth, key, tenantId, 'test', {});
      expect(clients.auth.verifiedCredentials?.size).toBe(1);
      await admin.auth.users.disableUser({ tenantId, userId });
      await eventually(async () => (clients.auth.verifiedCredentials?.size === 0 ? true : undefined), 1_000, 'the user event');
      await refusal(authenticate(clients.auth, key, tenantId, 'test', {}));
    } finally {
      await clients.close();
    }
  });

  test('credentialCache: false asks auth every time', async () => {
    const clients = guardClients({ credentialCache: false });
    try {
      const { key } = await endUserKey();
      const before = verifications.count;
      for (let i = 0; i < 3; i++) await authenticate(clients.auth, key, tenantId, 'test', {});
      expect(verifications.count).toBe(before + 3);
      expect(clients.auth.verifiedCredentials).toBeUndefined();
    } finally {
      await clients.close();
    }
  });

  test('auth restarts: the cache is bypassed while the stream is down, and used again once it resubscribed', async () => {
    const clients = guardClients();
    try {
      const { key } = await endUserKey();
      await authenticate(clients.auth, key, tenantId, 'test', {});
      await live(clients);
      await authenticate(clients.auth, key, tenantId, 'test', {});
      expect(clients.auth.verifiedCredentials?.size).toBe(1);

      await auth!.stop();
      auth = undefined;
      await eventually(async () => (clients.auth.verifiedCredentials?.state !== 'live' ? true : undefined), 5_000, 'the stream to end');
      expect(clients.auth.verifiedCredentials?.size).toBe(0);
      // Not from the cache: auth is down, so the guard cannot verify.
      const down = await refusal(authenticate(clients.auth, key, tenantId, 'test', {}));
      expect(down).toBeInstanceOf(GuardServiceError);

      auth = await startAuth();
      await live(clients);
      const before = verifications.count;
      await authenticate(clients.auth, key, tenantId, 'test', {});
      expect(verifications.count).toBe(before + 1);
      await authenticate(clients.auth, key, tenantId, 'test', {});
      expect(verifications.count).toBe(before + 1);
    } finally {
      await clients.close();
    }
  });
});
