import { create } from '@bufbuild/protobuf';
import { durationFromMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient, createRouterTransport, type ConnectRouter, type Interceptor } from '@connectrpc/connect';
import { ApiKeyInvalidReason } from '@aegis/proto/aegis/auth/v1/api_key_pb.js';
import { ApiKeyService, VerifyApiKeyResponseSchema, type VerifyApiKeyResponse } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { PrincipalSchema, PrincipalType, type Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from '@aegis/proto/grpc/health/v1/health_pb.js';
import {
  apiKeyCheckOver,
  authenticationInterceptor,
  currentPrincipal,
  requirePrincipal,
  verdictFromResponse,
  type CredentialVerifier,
  type PresentedCredential,
} from '../../../../src/auth/index.js';
import { AegisError, errorMappingInterceptor, unauthenticated, unavailable } from '../../../../src/errors/index.js';
import { createLogger } from '../../../../src/logging/index.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const KEY = 'genxai_live_0123456789abcdefghijABCDEFGHIJ012345';
const alice = create(PrincipalSchema, { tenantId: 'acme', userId: 'alice', type: PrincipalType.API_KEY, id: 'k1', apiKeyId: 'k1' });

/** A verifier that accepts KEY and records what it was asked. */
class FakeVerifier implements CredentialVerifier {
  seen: PresentedCredential[] = [];
  failWith: AegisError | undefined;
  async verify(credential: PresentedCredential): Promise<Principal> {
    this.seen.push(credential);
    if (this.failWith !== undefined) throw this.failWith;
    if (credential.value !== KEY) throw unauthenticated('invalid API key');
    return alice;
  }
  async close(): Promise<void> {}
}

// GetApiKey (non-public) echoes the principal; VerifyApiKey (public) reports whether one was set.
function routes(router: ConnectRouter) {
  router.service(ApiKeyService, {
    getApiKey: (_req, ctx) => ({ apiKey: { tenantId: requirePrincipal(ctx).tenantId, userId: requirePrincipal(ctx).userId } }),
    verifyApiKey: (_req, ctx) => ({ valid: currentPrincipal(ctx) !== undefined }),
  });
  router.service(Health, { check: () => ({ status: HealthCheckResponse_ServingStatus.SERVING }) });
}

function clients(verifier: CredentialVerifier) {
  const interceptors: Interceptor[] = [errorMappingInterceptor(logger), authenticationInterceptor(verifier)];
  const transport = createRouterTransport(routes, { router: { interceptors } });
  return { keys: createClient(ApiKeyService, transport), health: createClient(Health, transport) };
}

async function rejection(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('expected the call to fail');
}

describe('authenticationInterceptor', () => {
  test('a non-public RPC without a credential is Unauthenticated, saying what to send', async () => {
    const verifier = new FakeVerifier();
    const err = await rejection(clients(verifier).keys.getApiKey({ tenantId: 'acme' }));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.rawMessage).toContain('missing credential: send "Authorization: Bearer');
    expect(verifier.seen).toEqual([]);
  });

  test('a valid credential puts its principal in the handler context', async () => {
    const { keys } = clients(new FakeVerifier());
    for (const headers of [{ authorization: `Bearer ${KEY}` }, { 'x-api-key': KEY }]) {
      const res = await keys.getApiKey({ tenantId: 'acme' }, { headers });
      expect(res.apiKey).toMatchObject({ tenantId: 'acme', userId: 'alice' });
    }
  });

  test('a refused credential is Unauthenticated with the verifier\'s reason, never the credential', async () => {
    const err = await rejection(clients(new FakeVerifier()).keys.getApiKey({}, { headers: { 'x-api-key': `${KEY}x` } }));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.rawMessage).toBe('invalid API key');
  });

  test('when the credential cannot be checked the call is refused as Unavailable (fail closed)', async () => {
    const verifier = new FakeVerifier();
    verifier.failWith = unavailable('the authentication service is unavailable: retry later', { cause: new Error('ECONNREFUSED 10.0.0.1') });
    const err = await rejection(clients(verifier).keys.getApiKey({}, { headers: { 'x-api-key': KEY } }));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).not.toContain('ECONNREFUSED');
  });

  test('public RPCs and health pass without a credential', async () => {
    const verifier = new FakeVerifier();
    const { keys, health } = clients(verifier);
    expect((await keys.verifyApiKey({ key: 'x' })).valid).toBe(false);
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect(verifier.seen).toEqual([]);
  });

  test('a bearer JWT goes to the verifier as an access token', async () => {
    const verifier = new FakeVerifier();
    await rejection(clients(verifier).keys.getApiKey({}, { headers: { authorization: 'Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0.c2ln' } }));
    expect(verifier.seen.map((c) => c.kind)).toEqual(['access_token']);
  });
});

describe('apiKeyCheckOver (VerifyApiKey as a verdict)', () => {
  function checkAnswering(answer: (key: string) => VerifyApiKeyResponse | Promise<VerifyApiKeyResponse>, timeoutMs = 1_000) {
    const transport = createRouterTransport((router) => router.service(ApiKeyService, { verifyApiKey: (req) => answer(req.key) }), {
      router: { interceptors: [errorMappingInterceptor(logger)] },
    });
    return apiKeyCheckOver(transport, { timeoutMs });
  }

  test('a valid answer carries the principal, key id and expiry', async () => {
    const expiresAt = Date.now() + 60_000;
    const check = checkAnswering(() => create(VerifyApiKeyResponseSchema, { valid: true, keyId: 'k1', principal: alice, expireTime: timestampFromMs(expiresAt) }));
    expect(await check(KEY, {})).toEqual({ valid: true, keyId: 'k1', principal: alice, expiresAt });
  });

  test('reasons map to refusals; malformed, checksum and not-found all read "invalid"', () => {
    const of = (reason: ApiKeyInvalidReason) => verdictFromResponse(create(VerifyApiKeyResponseSchema, { valid: false, reason }));
    expect([ApiKeyInvalidReason.MALFORMED, ApiKeyInvalidReason.BAD_CHECKSUM, ApiKeyInvalidReason.NOT_FOUND].map((r) => of(r))).toEqual([
      { valid: false, refusal: 'invalid' }, { valid: false, refusal: 'invalid' }, { valid: false, refusal: 'invalid' },
    ]);
    expect(of(ApiKeyInvalidReason.REVOKED)).toEqual({ valid: false, refusal: 'revoked' });
    expect(of(ApiKeyInvalidReason.OWNER_DISABLED)).toEqual({ valid: false, refusal: 'owner_disabled' });
    const throttled = verdictFromResponse(create(VerifyApiKeyResponseSchema, { valid: false, reason: ApiKeyInvalidReason.THROTTLED, retryAfter: durationFromMs(1_500) }));
    expect(throttled).toEqual({ valid: false, refusal: 'throttled', retryAfterMs: 1_500 });
  });

  test('a valid answer without a principal is not a pass', () => {
    expect(() => verdictFromResponse(create(VerifyApiKeyResponseSchema, { valid: true }))).toThrow(AegisError);
  });

  test('an over-long key is invalid without asking auth', async () => {
    let asked = false;
    const check = checkAnswering(() => { asked = true; return create(VerifyApiKeyResponseSchema, { valid: true, principal: alice }); });
    expect(await check('k'.repeat(300), {})).toEqual({ valid: false, refusal: 'invalid' });
    expect(asked).toBe(false);
  });

  test('auth failing or too slow is Unavailable, never a verdict', async () => {
    const failing = checkAnswering(() => { throw unavailable('database down'); });
    await expect(failing(KEY, {})).rejects.toMatchObject({ kind: 'unavailable' });
    const slow = checkAnswering(() => new Promise(() => undefined), 50);
    await expect(slow(KEY, {})).rejects.toMatchObject({ kind: 'unavailable' });
  });

  test('InvalidArgument from auth (a key it will not even look at) reads "invalid"', async () => {
    const check = checkAnswering(() => { throw new AegisError('invalid_argument', 'key: must be between 1 and 256 characters long'); });
    expect(await check(KEY, {})).toEqual({ valid: false, refusal: 'invalid' });
  });
});
