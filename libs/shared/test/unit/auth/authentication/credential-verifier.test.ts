import { create } from '@bufbuild/protobuf';
import { PrincipalSchema, PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import {
  createCredentialEvents,
  createCredentialVerifier,
  type ApiKeyVerdict,
  type CredentialEvent,
  type CredentialEvents,
  type CredentialVerifier,
} from '../../../../src/auth/index.js';
import { AegisError } from '../../../../src/errors/index.js';
import { createTokenMinter, type TokenMinter } from './token-minter.js';

const KEY = 'genxai_live_0123456789abcdefghijABCDEFGHIJ012345';

async function failure(call: Promise<unknown>): Promise<AegisError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof AegisError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

// The in-process channel delivers on a microtask; a macrotask later, every handler ran.
const delivered = () => new Promise((resolve) => setImmediate(resolve));

describe('createCredentialVerifier', () => {
  let minter: TokenMinter;
  let events: CredentialEvents;
  let verifier: CredentialVerifier;
  let answer: ApiKeyVerdict;
  let checks: number;

  beforeAll(async () => {
    minter = await createTokenMinter();
  });

  beforeEach(async () => {
    checks = 0;
    answer = { valid: true, keyId: 'k1', principal: create(PrincipalSchema, { tenantId: 'acme', userId: 'alice', type: PrincipalType.API_KEY, id: 'k1', apiKeyId: 'k1' }) };
    events = createCredentialEvents({ name: 'test' });
    verifier = await createCredentialVerifier({
      checkApiKey: async () => { checks++; return answer; },
      accessTokens: { issuer: minter.issuer, audience: minter.audience, keys: minter.jwks },
      credentialEvents: events,
    });
  });

  afterEach(async () => {
    await verifier.close();
  });

  const publish = async (event: CredentialEvent) => {
    await events.publish(event);
    await delivered();
  };

  test('an API key resolves to the principal auth gave, and is asked about once per second at most', async () => {
    const principal = await verifier.verify({ kind: 'api_key', value: KEY });
    expect(principal).toMatchObject({ tenantId: 'acme', userId: 'alice', apiKeyId: 'k1' });
    await verifier.verify({ kind: 'api_key', value: KEY });
    expect(checks).toBe(1);
  });

  test('an api_key event makes the next call ask auth again, and its new answer counts', async () => {
    await verifier.verify({ kind: 'api_key', value: KEY });
    answer = { valid: false, refusal: 'revoked', keyId: 'k1' };
    await publish({ kind: 'api_key', tenantId: 'acme', keyId: 'k1' });
    const err = await failure(verifier.verify({ kind: 'api_key', value: KEY }));
    expect(err.kind).toBe('unauthenticated');
    expect(err.message).toBe('API key revoked');
    expect(checks).toBe(2);
  });

  test('each refusal reason has its own message, none repeating the key', async () => {
    const messages: Record<string, string> = {};
    for (const refusal of ['invalid', 'revoked', 'expired', 'disabled', 'owner_disabled'] as const) {
      answer = { valid: false, refusal };
      const key = `${KEY}${refusal}`;
      const err = await failure(verifier.verify({ kind: 'api_key', value: key }));
      expect(err.kind).toBe('unauthenticated');
      expect(err.message).not.toContain(key);
      messages[refusal] = err.message;
    }
    expect(messages).toEqual({
      invalid: 'invalid API key',
      revoked: 'API key revoked',
      expired: 'API key expired',
      disabled: 'API key disabled',
      owner_disabled: 'API key refused: its owner or tenant is disabled',
    });
  });

  test('a throttled source is told to come back later', async () => {
    answer = { valid: false, refusal: 'throttled', retryAfterMs: 2_500 };
    const err = await failure(verifier.verify({ kind: 'api_key', value: KEY }));
    expect(err.kind).toBe('resource_exhausted');
    expect(err.metadata['retry-after']).toBe('3');
  });

  test('an access token is verified locally (auth is never asked) into its principal', async () => {
    const { token } = await minter.mint({ sub: 'bob', sid: 'sess-9', roles: ['viewer'] });
    const principal = await verifier.verify({ kind: 'access_token', value: token });
    expect(principal).toMatchObject({ tenantId: 'acme', userId: 'bob', type: PrincipalType.USER, sessionId: 'sess-9', roles: ['viewer'] });
    expect(checks).toBe(0);
  });

  test('a revoked jti, an ended session and a locked-out user each stop a live token', async () => {
    const byJti = await minter.mint({ sub: 'u1' });
    const bySession = await minter.mint({ sub: 'u2', sid: 'sess-1' });
    const byUser = await minter.mint({ sub: 'u3', iat: Math.floor(Date.now() / 1000) - 5 });
    const untouched = await minter.mint({ sub: 'u4', sid: 'sess-2' });
    for (const t of [byJti, bySession, byUser, untouched]) await verifier.verify({ kind: 'access_token', value: t.token });

    const expiresAt = Date.now() + 900_000;
    await publish({ kind: 'access_token', jti: byJti.jti, expiresAt });
    await publish({ kind: 'session', tenantId: 'acme', sessionId: 'sess-1', expiresAt });
    await publish({ kind: 'user', tenantId: 'acme', userId: 'u3', at: Date.now() });

    for (const t of [byJti, bySession, byUser]) {
      const err = await failure(verifier.verify({ kind: 'access_token', value: t.token }));
      expect(err.kind).toBe('unauthenticated');
      expect(err.message).toBe('the access token has been revoked');
    }
    await expect(verifier.verify({ kind: 'access_token', value: untouched.token })).resolves.toMatchObject({ userId: 'u4' });
  });

  test('a user event also drops that user\'s cached API-key verdicts', async () => {
    await verifier.verify({ kind: 'api_key', value: KEY });
    answer = { valid: false, refusal: 'owner_disabled', keyId: 'k1' };
    await publish({ kind: 'user', tenantId: 'acme', userId: 'alice', at: Date.now() });
    const err = await failure(verifier.verify({ kind: 'api_key', value: KEY }));
    expect(err.message).toContain('owner or tenant is disabled');
  });

  test('a token for another audience or issuer is refused', async () => {
    const other = await createTokenMinter('https://evil.test', 'aegis');
    const { token } = await other.mint();
    const err = await failure(verifier.verify({ kind: 'access_token', value: token }));
    expect(err.kind).toBe('unauthenticated');
  });

  test('after close, events no longer reach it', async () => {
    const { token } = await minter.mint({ sub: 'late' });
    await verifier.close();
    await publish({ kind: 'user', tenantId: 'acme', userId: 'late', at: Date.now() + 5_000 });
    await expect(verifier.verify({ kind: 'access_token', value: token })).resolves.toMatchObject({ userId: 'late' });
  });
});

describe('createCredentialVerifier with a revocation source of its own', () => {
  test('a token that source calls revoked is refused; a source that cannot answer refuses too', async () => {
    const minter = await createTokenMinter();
    let answer: () => boolean = () => false;
    const verifier = await createCredentialVerifier({
      checkApiKey: async () => { throw new Error('not used'); },
      accessTokens: { issuer: minter.issuer, audience: minter.audience, keys: minter.jwks, isRevoked: () => answer() },
    });
    const { token } = await minter.mint();
    await expect(verifier.verify({ kind: 'access_token', value: token })).resolves.toMatchObject({ userId: 'alice' });
    answer = () => true;
    expect((await failure(verifier.verify({ kind: 'access_token', value: token }))).message).toBe('the access token has been revoked');
    answer = () => { throw new Error('redis down'); };
    const err = await failure(verifier.verify({ kind: 'access_token', value: token }));
    expect(err.kind).toBe('unavailable');
    expect(err.message).not.toContain('redis');
    await verifier.close();
  });
});
