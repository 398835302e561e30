import { randomBytes } from 'node:crypto';
// The runtime's authentication end to end, with a stand-in for the auth service (it answers
// VerifyApiKey from a table and serves a JWKS) so this package does not depend on services:
// every non-public RPC of a service started by startServices needs a credential; the service
// finds the auth of its own process (port 0) without AEGIS_AUTH_URL; revocations pushed as
// credential events are honoured within a second; access tokens verify without auth; and when
// auth is gone, API keys fail closed while tokens keep working. Once on the in-process channel,
// once through Redis pub/sub.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type ConnectRouter } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { ApiKeyInvalidReason } from '@aegis/proto/aegis/auth/v1/api_key_pb.js';
import { ApiKeyService, VerifyApiKeyResponseSchema, type VerifyApiKeyResponse } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { PrincipalSchema, PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from '@aegis/proto/grpc/health/v1/health_pb.js';
import { ServerReflection } from '@aegis/proto/grpc/reflection/v1/reflection_pb.js';
import {
  createCredentialEvents,
  createCredentialVerifier,
  createLogger,
  inProcessApiKeyCheck,
  requirePrincipal,
  startServices,
  type CredentialEvents,
  type RunningServices,
  type ServiceDefinition,
} from '../../../../src/index.js';
import { createTestRedis, grpcJsReflectionStream } from '../../../../src/testing/index.js';
import { createTokenMinter, type TokenMinter } from '../../../unit/auth/authentication/token-minter.js';

const GOOD_KEY = 'genxai_live_goodgoodgoodgoodgoodgoodgoodgo000001';
const OTHER_KEY = 'genxai_live_othrothrothrothrothrothrothrot000002';
const LATE_KEY = 'genxai_live_latelatelatelatelatelatelatela000003';

const principalOf = (keyId: string) => create(PrincipalSchema, { tenantId: 'acme', userId: `owner-of-${keyId}`, type: PrincipalType.API_KEY, id: keyId, apiKeyId: keyId, roles: ['developer'] });

/** Answers VerifyApiKey from `keys`, counting calls; serves the minter's key set as auth's JWKS. */
function standInAuth(minter: TokenMinter, keys: Map<string, VerifyApiKeyResponse>, calls: { verify: number }): ServiceDefinition {
  const routes = (router: ConnectRouter) => router.service(ApiKeyService, {
    verifyApiKey: (req) => {
      calls.verify++;
      return keys.get(req.key) ?? create(VerifyApiKeyResponseSchema, { valid: false, reason: ApiKeyInvalidReason.NOT_FOUND });
    },
  });
  return {
    name: 'auth',
    defaultPort: 0,
    async build(ctx) {
      return {
        routes,
        httpRoutes: {
          '/.well-known/jwks.json': (_req, res) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify(minter.jwks));
          },
        },
        // Like the real auth: its own RPCs are checked in process, never over the network.
        credentialVerifier: await createCredentialVerifier({
          checkApiKey: inProcessApiKeyCheck(routes, { logger: ctx.logger }),
          apiKeyCacheTtlMs: 0,
          accessTokens: { issuer: minter.issuer, audience: minter.audience, keys: minter.jwks },
          credentialEvents: ctx.credentialEvents,
        }),
      };
    },
  };
}

/** A service whose one RPC (UserService.GetUser, non-public) answers with the caller's principal. */
const echoService: ServiceDefinition = {
  name: 'echo',
  defaultPort: 0,
  async build() {
    return {
      routes(router) {
        router.service(UserService, {
          getUser: (_req, ctx) => {
            const p = requirePrincipal(ctx);
            return { user: { tenantId: p.tenantId, userId: p.userId, roles: p.roles } };
          },
        });
      },
    };
  },
};

async function rejection(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('expected the call to fail');
}

/** Milliseconds until `call` fails with `code`; fails the test after 3 s. */
async function msUntilRefused(call: () => Promise<unknown>, code: Code): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < 3_000) {
    try {
      await call();
    } catch (err) {
      const actual = ConnectError.from(err).code;
      if (actual === code) return Date.now() - start;
      throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`still accepted after 3 s (expected ${Code[code]})`);
}

interface Channel {
  name: string;
  env(): Promise<Record<string, string>>;
  tearDown(): Promise<void>;
}

function inProcess(): Channel {
  return { name: 'the in-process channel', env: async () => ({}), tearDown: async () => {} };
}

function redis(): Channel {
  let close: (() => Promise<void>) | undefined;
  return {
    name: 'Redis pub/sub',
    async env() {
      // Fails with a message naming Redis when it is down.
      const test = await createTestRedis({ name: 'authentication' });
      close = () => test.close();
      return { REDIS_URL: test.url, AEGIS_REDIS_KEY_PREFIX: `t${randomBytes(5).toString('hex')}:` };
    },
    tearDown: async () => close?.(),
  };
}

describe.each([inProcess(), redis()])('authentication in the runtime, events on $name', (channel) => {
  let minter: TokenMinter;
  let dataDir: string;
  let running: RunningServices;
  let events: CredentialEvents;
  let echoUrl: string;
  const keys = new Map<string, VerifyApiKeyResponse>();
  const calls = { verify: 0 };

  const echo = (headers: Record<string, string> = {}) =>
    createClient(UserService, createConnectTransport({ baseUrl: echoUrl, httpVersion: '1.1' })).getUser({ tenantId: 'acme', userId: 'x' }, { headers });

  beforeAll(async () => {
    minter = await createTokenMinter();
    for (const [key, id] of [[GOOD_KEY, 'key-good'], [OTHER_KEY, 'key-other'], [LATE_KEY, 'key-late']] as const) {
      keys.set(key, create(VerifyApiKeyResponseSchema, { valid: true, keyId: id, principal: principalOf(id) }));
    }
    dataDir = await mkdtemp(join(tmpdir(), 'aegis-authn-'));
    const channelEnv = await channel.env();
    const env = { AEGIS_DATA_DIR: dataDir, AEGIS_AUTH_PORT: '0', AEGIS_ECHO_PORT: '0', AEGIS_AUTH_ISSUER: minter.issuer, ...channelEnv };
    running = await startServices([standInAuth(minter, keys, calls), echoService], {
      processName: 'authn-test', telemetry: false, env, logger: createLogger({ service: 'authn-test', level: 'silent' }),
    });
    echoUrl = running.services[1]!.url;
    events = createCredentialEvents({ name: 'authn-test-publisher', ...(channelEnv.REDIS_URL !== undefined ? { redisUrl: channelEnv.REDIS_URL, keyPrefix: channelEnv.AEGIS_REDIS_KEY_PREFIX! } : {}) });
  });

  afterAll(async () => {
    await events?.close();
    await running?.stop();
    await channel.tearDown();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('a call without a credential is Unauthenticated, with a message saying what to send', async () => {
    const err = await rejection(echo());
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.rawMessage).toMatch(/^missing credential: send "Authorization: Bearer/);
  });

  test('health and reflection answer without a credential', async () => {
    const health = createClient(Health, createConnectTransport({ baseUrl: echoUrl, httpVersion: '1.1' }));
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const reflection = grpcJsReflectionStream(echoUrl.replace('http://', ''), ServerReflection);
    try {
      const res = await reflection.ask({ messageRequest: { case: 'listServices', value: '' } });
      expect(res.messageResponse.case).toBe('listServicesResponse');
    } finally {
      reflection.close();
    }
  });

  test('an API key (either header) reaches the handler as its principal, found at the auth of this process', async () => {
    const forms: Record<string, string>[] = [{ authorization: `Bearer ${GOOD_KEY}` }, { 'x-api-key': GOOD_KEY }];
    for (const headers of forms) {
      const res = await echo(headers);
      expect(res.user).toMatchObject({ tenantId: 'acme', userId: 'owner-of-key-good', roles: ['developer'] });
    }
    const err = await rejection(echo({ 'x-api-key': `${GOOD_KEY.slice(0, -1)}X` }));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.rawMessage).toBe('invalid API key');
  });

  test('the auth service itself also refuses calls without a credential (its own in-process verifier)', async () => {
    const authKeys = createClient(ApiKeyService, createConnectTransport({ baseUrl: running.services[0]!.url, httpVersion: '1.1' }));
    expect((await rejection(authKeys.getApiKey({ tenantId: 'acme' }))).code).toBe(Code.Unauthenticated);
    // With a key it passes authentication, then finds GetApiKey unimplemented by the stand-in.
    expect((await rejection(authKeys.getApiKey({ tenantId: 'acme' }, { headers: { 'x-api-key': GOOD_KEY } }))).code).toBe(Code.Unimplemented);
  });

  test('a revoked key is refused within a second of the event', async () => {
    const cachedAt = Date.now();
    await echo({ 'x-api-key': OTHER_KEY });
    keys.set(OTHER_KEY, create(VerifyApiKeyResponseSchema, { valid: false, reason: ApiKeyInvalidReason.REVOKED, keyId: 'key-other' }));
    await events.publish({ kind: 'api_key', tenantId: 'acme', keyId: 'key-other' });
    const ms = await msUntilRefused(() => echo({ 'x-api-key': OTHER_KEY }), Code.Unauthenticated);
    expect(ms).toBeLessThan(1_000);
    // Sooner than the verdict cached above could have expired: the event did it, not the TTL.
    expect(Date.now() - cachedAt).toBeLessThan(1_000);
    expect((await rejection(echo({ 'x-api-key': OTHER_KEY }))).rawMessage).toBe('API key revoked');
  });

  test('an access token passes without asking auth, and a revoked jti is refused within a second', async () => {
    const { token, jti } = await minter.mint({ sub: 'bob', roles: ['viewer'] });
    const before = calls.verify;
    const res = await echo({ authorization: `Bearer ${token}` });
    expect(res.user).toMatchObject({ tenantId: 'acme', userId: 'bob', roles: ['viewer'] });
    expect(calls.verify).toBe(before);

    await events.publish({ kind: 'access_token', jti, expiresAt: Date.now() + 900_000 });
    const ms = await msUntilRefused(() => echo({ authorization: `Bearer ${token}` }), Code.Unauthenticated);
    expect(ms).toBeLessThan(1_000);
  });

  test('with auth gone, tokens still verify while API keys fail closed with Unavailable', async () => {
    const { token } = await minter.mint({ sub: 'carol' });
    await echo({ authorization: `Bearer ${token}` }); // the key set is fetched by now
    await running.services[0]!.server.shutdown(0);

    const res = await echo({ authorization: `Bearer ${token}` });
    expect(res.user?.userId).toBe('carol');
    const err = await rejection(echo({ 'x-api-key': LATE_KEY }));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).toBe('the authentication service is unavailable: retry later');
  });
});
