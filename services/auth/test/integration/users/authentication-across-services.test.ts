// The authentication interceptor across services: a real auth service, and in another group
// of services (its own event log and database, like another process) the policy service plus
// a test service that echoes the caller's principal, pointed at auth by AEGIS_AUTH_URL. Every
// non-public RPC needs a credential; API keys are checked with auth (cached, pushed
// invalidations), access tokens locally; revocations and a disabled user are refused within a
// second; with auth gone, tokens keep working and API keys fail closed. Credential events
// travel in process, then through Redis pub/sub.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { DecisionService } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from '@aegis/proto/grpc/health/v1/health_pb.js';
import { policyService } from '@aegis/policy-service';
import { createLogger, requirePrincipal, startServices, type RunningServices, type ServiceDefinition } from '@aegis/shared';
import { createTestRedis, type TestRedis } from '@aegis/shared/testing';
import { embeddedBackend, startAuth, tempDataDir, type RunningAuth } from '../auth-harness.js';
import { clientsFor, msUntilRefused, rejection, type AuthClients } from './users-harness.js';

const ISSUER = 'http://auth.aegis.test';

/** UserService.GetUser (non-public) answering with the caller's principal as a user. */
const echoService: ServiceDefinition = {
  name: 'echo',
  defaultPort: 0,
  async build() {
    return {
      routes(router) {
        router.service(UserService, {
          getUser: (_req, ctx) => {
            const p = requirePrincipal(ctx);
            return { user: { tenantId: p.tenantId, userId: p.userId, roles: p.roles, displayName: `${PrincipalType[p.type]}:${p.apiKeyId}` } };
          },
        });
      },
    };
  },
};

function jtiOf(token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { jti: string }).jti;
}

describe.each([
  { channel: 'in process', redis: false },
  { channel: 'Redis pub/sub', redis: true },
])('authentication across services, credential events $channel', ({ redis }) => {
  let testRedis: TestRedis | undefined;
  let authDir: Awaited<ReturnType<typeof tempDataDir>>;
  let othersDir: string;
  let auth: RunningAuth;
  let others: RunningServices;
  let admin: AuthClients;
  let bootstrapKey: string;

  const echo = (credential?: string) => {
    const transport = createConnectTransport({ baseUrl: others.services[1]!.url, httpVersion: '1.1' });
    return createClient(UserService, transport).getUser({ tenantId: 'default' }, { headers: credential === undefined ? {} : { authorization: `Bearer ${credential}` } });
  };

  async function userWithCredentials(roles: string[]) {
    const { user } = await admin.users.createUser({ tenantId: 'default', email: `u-${randomBytes(4).toString('hex')}@x.test`, roles });
    const userId = user!.userId;
    const key = async (name: string) => (await admin.keys.createApiKey({ tenantId: 'default', userId, name })).secret;
    const token = async () => (await admin.tokens.issueToken({ tenantId: 'default', userId })).tokens!.accessToken;
    return { userId, key, token };
  }

  beforeAll(async () => {
    const redisEnv: Record<string, string> = {};
    if (redis) {
      testRedis = await createTestRedis({ name: 'authn-across' });
      redisEnv.REDIS_URL = testRedis.url;
      redisEnv.AEGIS_REDIS_KEY_PREFIX = `t${randomBytes(5).toString('hex')}:`;
    }
    authDir = await tempDataDir();
    auth = await startAuth({ ...embeddedBackend().env(authDir.path), AEGIS_AUTH_ISSUER: ISSUER, ...redisEnv });
    bootstrapKey = auth.bannerKey!;
    admin = clientsFor(auth.service.url, bootstrapKey);
    othersDir = await mkdtemp(join(tmpdir(), 'aegis-others-'));
    others = await startServices([policyService, echoService], {
      processName: 'others-test',
      telemetry: false,
      logger: createLogger({ service: 'others-test', level: 'silent' }),
      env: { AEGIS_DATA_DIR: othersDir, AEGIS_POLICY_PORT: '0', AEGIS_ECHO_PORT: '0', AEGIS_AUTH_URL: auth.service.url, AEGIS_AUTH_ISSUER: ISSUER, ...redisEnv },
    });
  });

  afterAll(async () => {
    await others?.stop();
    await auth?.stop();
    await authDir?.remove();
    if (othersDir) await rm(othersDir, { recursive: true, force: true });
    await testRedis?.close();
  });

  test('the policy service refuses calls without a credential, and lets the bootstrap key through', async () => {
    const policy = createClient(DecisionService, createConnectTransport({ baseUrl: others.services[0]!.url, httpVersion: '1.1' }));
    const missing = await rejection(policy.check({ tenantId: 'default' }));
    expect(missing.code).toBe(Code.Unauthenticated);
    expect(missing.rawMessage).toContain('missing credential: send "Authorization: Bearer');
    // Past authentication the call reaches the handler, which validates the request itself.
    const passed = await rejection(policy.check({ tenantId: 'default' }, { headers: { 'x-api-key': bootstrapKey } }));
    expect(passed.code).toBe(Code.InvalidArgument);
    const health = createClient(Health, createConnectTransport({ baseUrl: others.services[0]!.url, httpVersion: '1.1' }));
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  test('the handler of another service sees the principal of the bootstrap key', async () => {
    const { user } = await echo(bootstrapKey);
    expect(user).toMatchObject({ tenantId: 'default', userId: 'admin', roles: ['admin'] });
    expect(user!.displayName).toMatch(/^API_KEY:[0-9a-f-]{36}$/);
  });

  test('a revoked API key is refused by the other service within a second', async () => {
    const u = await userWithCredentials(['developer']);
    const key = await u.key('to-revoke');
    const cachedAt = Date.now();
    expect((await echo(key)).user?.userId).toBe(u.userId);
    const { apiKey } = await admin.keys.listApiKeys({ tenantId: 'default', userId: u.userId }).then((r) => ({ apiKey: r.apiKeys[0] }));
    await admin.keys.revokeApiKey({ tenantId: 'default', keyId: apiKey!.keyId, reason: 'test' });
    const ms = await msUntilRefused(() => echo(key), Code.Unauthenticated);
    expect(ms).toBeLessThan(1_000);
    // Sooner than the verdict cached above could have expired: the push did it, not the TTL.
    expect(Date.now() - cachedAt).toBeLessThan(1_000);
    expect((await rejection(echo(key))).rawMessage).toBe('API key revoked');
  });

  test('an access token verifies in the other service; its revoked jti is refused within a second', async () => {
    const u = await userWithCredentials(['viewer']);
    const token = await u.token();
    const { user } = await echo(token);
    expect(user).toMatchObject({ tenantId: 'default', userId: u.userId, roles: ['viewer'], displayName: 'USER:' });
    await admin.tokens.revokeToken({ tenantId: 'default', target: { case: 'jti', value: jtiOf(token) } });
    const ms = await msUntilRefused(() => echo(token), Code.Unauthenticated);
    expect(ms).toBeLessThan(1_000);
  });

  test('a disabled user\'s API key and access token are refused by the other service within a second', async () => {
    const u = await userWithCredentials(['developer']);
    const key = await u.key('laptop');
    const token = await u.token();
    await echo(key);
    await echo(token);
    await admin.users.disableUser({ tenantId: 'default', userId: u.userId, reason: 'test' });
    const [keyMs, tokenMs] = await Promise.all([
      msUntilRefused(() => echo(key), Code.Unauthenticated),
      msUntilRefused(() => echo(token), Code.Unauthenticated),
    ]);
    expect(keyMs).toBeLessThan(1_000);
    expect(tokenMs).toBeLessThan(1_000);
  });

  test('with auth stopped, access tokens still pass while API keys get Unavailable (fail closed)', async () => {
    const u = await userWithCredentials(['viewer']);
    const token = await u.token();
    const neverCached = await u.key('never-used');
    await echo(token);
    await auth.service.server.shutdown(0);

    const { user } = await echo(token);
    expect(user?.userId).toBe(u.userId);
    const err = await rejection(echo(neverCached));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).toBe('the authentication service is unavailable: retry later');
  });
});
