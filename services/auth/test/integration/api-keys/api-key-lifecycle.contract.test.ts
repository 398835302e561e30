// The API-key lifecycle end to end over a real Connect client, on both backend sets
// (PGlite + in-memory + embedded log, and Postgres + Redis + Kafka): what holds on one must
// hold on the other. Callers authenticate with their own API keys.

import { randomBytes } from 'node:crypto';
import { Code, ConnectError } from '@connectrpc/connect';
import { durationFromMs, timestampDate, timestampFromDate, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ApiKeyInvalidReason, ApiKeyStatus } from '@aegis/proto/aegis/auth/v1/api_key_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import { Outcome } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { createCredentialEvents, type SqlDatabase } from '@aegis/shared';
import { generateApiKey } from '../../../src/api-keys/domain/api-key-format.js';
import {
  addUser, auditEvents, embeddedApiKeysBackend, externalApiKeysBackend, startApiKeysAuth, tempDataDir, waitUntil, type ApiKeysAuth,
} from './api-keys-harness.js';

async function rejectionOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('expected the call to fail');
}

const TENANT = 'default';

describe.each([embeddedApiKeysBackend(), externalApiKeysBackend()])('API-key lifecycle on $name', (backend) => {
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let auth: ApiKeysAuth;
  let db: SqlDatabase;
  let admin: ReturnType<ApiKeysAuth['client']>;
  let anonymous: ReturnType<ApiKeysAuth['client']>;
  // Every secret this file sees: none may appear in an audit event.
  const secrets: string[] = [];
  const keyIds: string[] = [];
  let throttledSource = '';

  async function createKey(userId: string, extra: Record<string, unknown> = {}) {
    const res = await admin.createApiKey({ tenantId: TENANT, userId, name: `key-${randomBytes(4).toString('hex')}`, ...extra });
    secrets.push(res.secret);
    keyIds.push(res.apiKey!.keyId);
    return res;
  }
  // Failures count against the caller's source; every call here names its own (as a gateway
  // would for its clients) unless a test is about one source, so tests do not throttle each other.
  const randomSource = () => `2001:db8::${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}`;
  const verify = (key: string, extra: { source?: string; tenantId?: string } = {}) => anonymous.verifyApiKey({ key, source: randomSource(), ...extra });

  beforeAll(async () => {
    await backend.setUp();
    dataDir = await tempDataDir();
    auth = await startApiKeysAuth(backend.env(dataDir.path));
    if (auth.adminKey === undefined) throw new Error('the first start printed no bootstrap key');
    secrets.push(auth.adminKey);
    admin = auth.client(auth.adminKey);
    anonymous = auth.client();
    db = await auth.openDatabase();
    await addUser(db, TENANT, 'alice', ['developer', 'viewer']);
    await addUser(db, TENANT, 'bob', ['developer']);
    await addUser(db, TENANT, 'carol', ['developer'], { disabled: true });
    await addUser(db, TENANT, 'dave', ['viewer']);
    await addUser(db, TENANT, 'erin', ['viewer']);
  });
  afterAll(async () => {
    await auth?.stop();
    await dataDir?.remove();
    await backend.tearDown();
  });

  test('CreateApiKey returns the secret once, a record without it, and the key verifies as its owner', async () => {
    const expires = new Date(Date.now() + 3_600_000);
    const res = await createKey('alice', {
      roles: ['developer'], scopes: ['agent:execute'], tier: RateLimitTier.PRO, expireTime: timestampFromDate(expires), metadata: { team: 'ml' },
    });
    expect(res.secret).toMatch(/^genxai_live_[0-9A-Za-z]{38}$/);
    const key = res.apiKey!;
    expect(key).toMatchObject({
      tenantId: TENANT, userId: 'alice', environment: 'live', roles: ['developer'], scopes: ['agent:execute'],
      tier: RateLimitTier.PRO, metadata: { team: 'ml' }, status: ApiKeyStatus.ACTIVE, version: 1n, rotatedFromKeyId: '', rotatedToKeyId: '',
    });
    expect(key.hint).toBe(`genxai_live_…${res.secret.slice(-4)}`);
    expect(timestampDate(key.expireTime!).getTime()).toBe(expires.getTime());
    expect(JSON.stringify(key, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(res.secret.slice(12, 40));

    const verdict = await verify(res.secret);
    expect(verdict.valid).toBe(true);
    expect(verdict.keyId).toBe(key.keyId);
    expect(verdict.principal).toMatchObject({
      tenantId: TENANT, type: PrincipalType.API_KEY, id: key.keyId, userId: 'alice', apiKeyId: key.keyId,
      roles: ['developer'], scopes: ['agent:execute'], tier: RateLimitTier.PRO,
    });
  });

  test('defaults: all of the owner\'s roles, the default tier and environment; another environment is in the secret', async () => {
    const plain = (await createKey('alice')).apiKey!;
    expect(plain).toMatchObject({ roles: ['developer', 'viewer'], tier: RateLimitTier.FREE, environment: 'live' });
    const testKey = await createKey('alice', { environment: 'test' });
    expect(testKey.secret).toMatch(/^genxai_test_/);
    expect((await verify(testKey.secret)).valid).toBe(true);
  });

  test('CreateApiKey refuses what the contract says, with its codes', async () => {
    const name = `dup-${randomBytes(3).toString('hex')}`;
    await createKey('alice', { name });
    // A caller of another (non-platform) tenant; the platform tenant's admin may act in any tenant.
    await addUser(db, 'acme', 'zoe', ['developer']);
    const zoesKey = await admin.createApiKey({ tenantId: 'acme', userId: 'zoe', name: 'zoe' });
    secrets.push(zoesKey.secret);
    const zoe = auth.client(zoesKey.secret);
    const cases: Array<[string, () => Promise<unknown>, Code, RegExp?]> = [
      ['unknown owner', () => admin.createApiKey({ tenantId: TENANT, userId: 'nobody', name: 'x' }), Code.NotFound],
      ['disabled owner', () => admin.createApiKey({ tenantId: TENANT, userId: 'carol', name: 'x' }), Code.FailedPrecondition],
      ['role the owner lacks', () => admin.createApiKey({ tenantId: TENANT, userId: 'bob', name: 'x', roles: ['admin'] }), Code.InvalidArgument, /^roles\[0\]: /],
      ['expiry in the past', () => admin.createApiKey({ tenantId: TENANT, userId: 'bob', name: 'x', expireTime: timestampFromMs(Date.now() - 1000) }), Code.InvalidArgument, /^expire_time: /],
      ['name taken', () => admin.createApiKey({ tenantId: TENANT, userId: 'alice', name }), Code.AlreadyExists],
      ['empty name', () => admin.createApiKey({ tenantId: TENANT, userId: 'alice', name: '' }), Code.InvalidArgument, /^name: /],
      ['bad environment', () => admin.createApiKey({ tenantId: TENANT, userId: 'alice', name: 'x', environment: 'LIVE' }), Code.InvalidArgument, /^environment: /],
      ['no credential', () => anonymous.createApiKey({ tenantId: TENANT, userId: 'alice', name: 'x' }), Code.Unauthenticated],
      ['caller of another tenant', () => zoe.createApiKey({ tenantId: TENANT, userId: 'alice', name: 'x' }), Code.PermissionDenied],
      ['platform admin, owner not in that tenant', () => admin.createApiKey({ tenantId: 'globex', userId: 'alice', name: 'x' }), Code.NotFound],
    ];
    for (const [label, call, code, message] of cases) {
      const err = await rejectionOf(call());
      expect([label, Code[err.code]]).toEqual([label, Code[code]]);
      if (message !== undefined) expect(err.rawMessage).toMatch(message);
    }
  });

  test('self-service: a user manages their own keys but not anyone else\'s', async () => {
    const bobsFirst = await createKey('bob', { roles: ['developer'] });
    const bob = auth.client(bobsFirst.secret);
    const own = await bob.createApiKey({ tenantId: TENANT, name: 'bob-own' });
    secrets.push(own.secret);
    expect(own.apiKey).toMatchObject({ userId: 'bob', roles: ['developer'] });
    expect((await bob.getApiKey({ tenantId: TENANT, keyId: own.apiKey!.keyId })).apiKey?.keyId).toBe(own.apiKey!.keyId);
    expect((await bob.listApiKeys({ tenantId: TENANT, userId: 'bob' })).apiKeys.map((k) => k.userId)).toEqual(['bob', 'bob']);

    const alicesKey = (await createKey('alice')).apiKey!.keyId;
    const missing = '0190a5c4-0000-7000-8000-00000000dead';
    expect((await rejectionOf(bob.getApiKey({ tenantId: TENANT, keyId: alicesKey }))).code).toBe(Code.PermissionDenied);
    // A missing key looks like someone else's to a self-service caller; an admin learns it is missing.
    expect((await rejectionOf(bob.getApiKey({ tenantId: TENANT, keyId: missing }))).code).toBe(Code.PermissionDenied);
    expect((await rejectionOf(admin.getApiKey({ tenantId: TENANT, keyId: missing }))).code).toBe(Code.NotFound);
    expect((await rejectionOf(bob.createApiKey({ tenantId: TENANT, userId: 'alice', name: 'x' }))).code).toBe(Code.PermissionDenied);
    expect((await rejectionOf(bob.listApiKeys({ tenantId: TENANT }))).code).toBe(Code.PermissionDenied);
    expect((await rejectionOf(bob.revokeApiKey({ tenantId: TENANT, keyId: alicesKey }))).code).toBe(Code.PermissionDenied);
    // Updating is not self-service (api_key:update).
    const update = bob.updateApiKey({ tenantId: TENANT, keyId: own.apiKey!.keyId, name: 'renamed', roles: ['developer'], tier: RateLimitTier.FREE });
    expect((await rejectionOf(update)).code).toBe(Code.PermissionDenied);
    expect((await rejectionOf(admin.getApiKey({ tenantId: TENANT, keyId: 'not-a-uuid' }))).rawMessage).toMatch(/^key_id: /);
  });

  test('ListApiKeys pages newest first with an opaque token, never secrets, and hides revoked keys unless asked', async () => {
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await createKey('dave')).apiKey!.keyId);
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await admin.listApiKeys({ tenantId: TENANT, userId: 'dave', pageSize: 2, pageToken: token });
      expect(page.apiKeys.length).toBeLessThanOrEqual(2);
      seen.push(...page.apiKeys.map((k) => k.keyId));
      token = page.nextPageToken;
      pages++;
    } while (token !== '' && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());

    const first = await admin.listApiKeys({ tenantId: TENANT, userId: 'dave', pageSize: 2 });
    const foreign = await rejectionOf(admin.listApiKeys({ tenantId: TENANT, userId: 'alice', pageSize: 2, pageToken: first.nextPageToken }));
    expect([foreign.code, foreign.rawMessage]).toEqual([Code.InvalidArgument, expect.stringMatching(/^page_token: /)]);
    expect((await rejectionOf(admin.listApiKeys({ tenantId: TENANT, pageToken: 'bm9wZQ' }))).code).toBe(Code.InvalidArgument);
    expect((await rejectionOf(admin.listApiKeys({ tenantId: TENANT, pageSize: -1 }))).code).toBe(Code.InvalidArgument);

    await admin.revokeApiKey({ tenantId: TENANT, keyId: created[0]! });
    const live = await admin.listApiKeys({ tenantId: TENANT, userId: 'dave' });
    const all = await admin.listApiKeys({ tenantId: TENANT, userId: 'dave', includeRevoked: true });
    expect(live.apiKeys.map((k) => k.keyId)).not.toContain(created[0]);
    expect(all.apiKeys.map((k) => k.keyId)).toContain(created[0]);
    expect(all.apiKeys.find((k) => k.keyId === created[0])?.status).toBe(ApiKeyStatus.REVOKED);
  });

  test('UpdateApiKey replaces the fields, bumps the version, checks expected_version, and verification sees it at once', async () => {
    const { secret, apiKey } = await createKey('alice', { roles: ['developer'], tier: RateLimitTier.FREE });
    expect((await verify(secret)).principal?.tier).toBe(RateLimitTier.FREE); // now cached
    const updated = (await admin.updateApiKey({
      tenantId: TENANT, keyId: apiKey!.keyId, name: 'renamed', roles: ['viewer'], scopes: ['a:b'], tier: RateLimitTier.ENTERPRISE,
      metadata: { env: 'prod' }, expectedVersion: 1n,
    })).apiKey!;
    expect(updated).toMatchObject({ name: 'renamed', roles: ['viewer'], scopes: ['a:b'], tier: RateLimitTier.ENTERPRISE, metadata: { env: 'prod' }, version: 2n });
    expect((await verify(secret)).principal).toMatchObject({ roles: ['viewer'], tier: RateLimitTier.ENTERPRISE, scopes: ['a:b'] });

    const stale = await rejectionOf(admin.updateApiKey({ tenantId: TENANT, keyId: apiKey!.keyId, name: 'again', roles: ['viewer'], tier: RateLimitTier.PRO, expectedVersion: 1n }));
    expect(stale.code).toBe(Code.Aborted);
    const noTier = await rejectionOf(admin.updateApiKey({ tenantId: TENANT, keyId: apiKey!.keyId, name: 'again', roles: ['viewer'] }));
    expect([noTier.code, noTier.rawMessage]).toEqual([Code.InvalidArgument, expect.stringMatching(/^tier: /)]);
  });

  test('RotateApiKey with grace 0: the new secret works, the old one is EXPIRED at once, and it cannot be rotated twice', async () => {
    const old = await createKey('alice', { roles: ['developer'], tier: RateLimitTier.PRO, metadata: { a: '1' } });
    expect((await verify(old.secret)).valid).toBe(true); // cached
    const before = Date.now();
    const rotated = await admin.rotateApiKey({ tenantId: TENANT, keyId: old.apiKey!.keyId, gracePeriod: durationFromMs(0) });
    secrets.push(rotated.secret);
    keyIds.push(rotated.apiKey!.keyId);
    expect(rotated.secret).not.toBe(old.secret);
    expect(rotated.apiKey).toMatchObject({ name: old.apiKey!.name, roles: ['developer'], tier: RateLimitTier.PRO, metadata: { a: '1' }, rotatedFromKeyId: old.apiKey!.keyId });
    expect(rotated.previousApiKey).toMatchObject({ keyId: old.apiKey!.keyId, rotatedToKeyId: rotated.apiKey!.keyId, status: ApiKeyStatus.ACTIVE });
    const graceEnd = timestampDate(rotated.previousApiKey!.expireTime!).getTime();
    expect(graceEnd).toBeGreaterThanOrEqual(before - 1000);
    expect(graceEnd).toBeLessThanOrEqual(Date.now() + 1000);

    expect((await verify(rotated.secret)).valid).toBe(true);
    const oldVerdict = await verify(old.secret);
    expect([oldVerdict.valid, ApiKeyInvalidReason[oldVerdict.reason], oldVerdict.keyId]).toEqual([false, 'EXPIRED', old.apiKey!.keyId]);

    const again = await rejectionOf(admin.rotateApiKey({ tenantId: TENANT, keyId: old.apiKey!.keyId }));
    expect(again.code).toBe(Code.FailedPrecondition);
    const tooLong = await rejectionOf(admin.rotateApiKey({ tenantId: TENANT, keyId: rotated.apiKey!.keyId, gracePeriod: durationFromMs(31 * 86_400_000) }));
    expect([tooLong.code, tooLong.rawMessage]).toEqual([Code.InvalidArgument, expect.stringMatching(/^grace_period: /)]);
  });

  test('RotateApiKey with a grace period: the old secret keeps working until it ends, then is EXPIRED', async () => {
    const old = await createKey('alice');
    const rotated = await admin.rotateApiKey({ tenantId: TENANT, keyId: old.apiKey!.keyId, gracePeriod: durationFromMs(1_500) });
    secrets.push(rotated.secret);
    keyIds.push(rotated.apiKey!.keyId);
    expect((await verify(old.secret)).valid).toBe(true);
    expect((await verify(rotated.secret)).valid).toBe(true);
    const graceEnd = timestampDate(rotated.previousApiKey!.expireTime!).getTime();
    await waitUntil(async () => !(await verify(old.secret)).valid, 5_000, 50);
    expect(Date.now()).toBeGreaterThanOrEqual(graceEnd);
    expect(ApiKeyInvalidReason[(await verify(old.secret)).reason]).toBe('EXPIRED');
    // Once its grace is over, the old key is listed only with include_revoked.
    const listed = (await admin.listApiKeys({ tenantId: TENANT, userId: 'alice' })).apiKeys.map((k) => k.keyId);
    expect(listed).toContain(rotated.apiKey!.keyId);
    expect(listed).not.toContain(old.apiKey!.keyId);
  });

  test('RevokeApiKey is immediate, permanent and idempotent', async () => {
    const { secret, apiKey } = await createKey('alice');
    expect((await verify(secret)).valid).toBe(true); // cached
    const revoked = (await admin.revokeApiKey({ tenantId: TENANT, keyId: apiKey!.keyId, reason: 'leaked in a log' })).apiKey!;
    expect(revoked.status).toBe(ApiKeyStatus.REVOKED);
    const verdict = await verify(secret);
    expect([verdict.valid, ApiKeyInvalidReason[verdict.reason], verdict.keyId]).toEqual([false, 'REVOKED', apiKey!.keyId]);

    const again = (await admin.revokeApiKey({ tenantId: TENANT, keyId: apiKey!.keyId })).apiKey!;
    expect(again.revokeTime).toEqual(revoked.revokeTime);
    expect(again.version).toBe(revoked.version);
    expect((await rejectionOf(admin.enableApiKey({ tenantId: TENANT, keyId: apiKey!.keyId }))).code).toBe(Code.FailedPrecondition);
    expect((await rejectionOf(admin.disableApiKey({ tenantId: TENANT, keyId: apiKey!.keyId }))).code).toBe(Code.FailedPrecondition);
    expect((await rejectionOf(admin.rotateApiKey({ tenantId: TENANT, keyId: apiKey!.keyId }))).code).toBe(Code.FailedPrecondition);
  });

  test('DisableApiKey and EnableApiKey take effect at once, and repeat harmlessly', async () => {
    const { secret, apiKey } = await createKey('alice');
    expect((await verify(secret)).valid).toBe(true);
    await admin.disableApiKey({ tenantId: TENANT, keyId: apiKey!.keyId, reason: 'investigation' });
    const disabled = (await admin.disableApiKey({ tenantId: TENANT, keyId: apiKey!.keyId })).apiKey!;
    expect([disabled.status, disabled.version]).toEqual([ApiKeyStatus.DISABLED, 2n]);
    expect(ApiKeyInvalidReason[(await verify(secret)).reason]).toBe('DISABLED');
    await admin.enableApiKey({ tenantId: TENANT, keyId: apiKey!.keyId });
    const enabled = (await admin.enableApiKey({ tenantId: TENANT, keyId: apiKey!.keyId })).apiKey!;
    expect([enabled.status, enabled.version]).toEqual([ApiKeyStatus.ACTIVE, 3n]);
    expect((await verify(secret)).valid).toBe(true);
  });

  test('a disabled owner: the platform credential event makes the key OWNER_DISABLED within a second', async () => {
    const { secret } = await createKey('erin');
    expect((await verify(secret)).valid).toBe(true);
    await db.query(`UPDATE users SET disabled_at = now() WHERE tenant_id = $1 AND id = 'erin'`, [TENANT]);
    const redisUrl = auth.service.config.redisUrl;
    const events = createCredentialEvents({ name: 'api-keys-test', keyPrefix: auth.service.config.redisKeyPrefix, ...(redisUrl !== undefined ? { redisUrl } : {}) });
    try {
      await events.publish({ kind: 'user', tenantId: TENANT, userId: 'erin', at: Date.now() });
      const elapsed = await waitUntil(async () => (await verify(secret)).reason === ApiKeyInvalidReason.OWNER_DISABLED, 3_000);
      expect(elapsed).toBeLessThanOrEqual(1_000);
    } finally {
      await events.close();
    }
  });

  test('last_used_time appears once the batch is written, never before a verification', async () => {
    const { secret, apiKey } = await createKey('alice');
    expect((await admin.getApiKey({ tenantId: TENANT, keyId: apiKey!.keyId })).apiKey?.lastUsedTime).toBeUndefined();
    const usedAt = Date.now();
    await verify(secret);
    await waitUntil(async () => (await admin.getApiKey({ tenantId: TENANT, keyId: apiKey!.keyId })).apiKey?.lastUsedTime !== undefined, 5_000, 50);
    const lastUsed = timestampDate((await admin.getApiKey({ tenantId: TENANT, keyId: apiKey!.keyId })).apiKey!.lastUsedTime!).getTime();
    expect(lastUsed).toBeGreaterThanOrEqual(usedAt - 1_000);
    expect(lastUsed).toBeLessThanOrEqual(Date.now());
  });

  test('a burst of unknown keys reaches the database once per distinct key', async () => {
    const unknown = Array.from({ length: 5 }, () => generateApiKey('genxai', 'live'));
    const before = await auth.lookups('database');
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => verify(unknown[i % unknown.length]!)));
    expect(answers.every((a) => a.reason === ApiKeyInvalidReason.NOT_FOUND)).toBe(true);
    const reads = (await auth.lookups('database')) - before;
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(unknown.length);
    // And again: all from the negative cache.
    await Promise.all(unknown.map((key) => verify(key)));
    expect((await auth.lookups('database')) - before).toBe(reads);
  });

  test('repeated failures from one source are THROTTLED, checking nothing, with retry_after; other sources are not', async () => {
    const { secret } = await createKey('alice');
    const source = randomSource();
    throttledSource = source;
    for (let i = 0; i < 6; i++) expect((await verify(generateApiKey('genxai', 'live'), { source })).reason).toBe(ApiKeyInvalidReason.NOT_FOUND);
    const before = await auth.lookups('database');
    const throttled = await verify(secret, { source });
    expect([throttled.valid, ApiKeyInvalidReason[throttled.reason]]).toEqual([false, 'THROTTLED']);
    expect(throttled.principal).toBeUndefined();
    expect(Number(throttled.retryAfter?.seconds)).toBeGreaterThan(20);
    expect(Number(throttled.retryAfter?.seconds)).toBeLessThanOrEqual(30);
    for (let i = 0; i < 10; i++) await verify(generateApiKey('genxai', 'live'), { source });
    expect(await auth.lookups('database')).toBe(before);
    expect((await verify(secret, { source: randomSource() })).valid).toBe(true);
    // Behind a trusted proxy (these tests' 127.0.0.1), the right-most untrusted X-Forwarded-For
    // hop is the source when the request names none; hops the client wrote to its left are not.
    const forwarded = auth.client(undefined, { 'x-forwarded-for': `198.51.100.1, ${source}` });
    expect((await forwarded.verifyApiKey({ key: secret })).reason).toBe(ApiKeyInvalidReason.THROTTLED);
  });

  // Last: reads the audit log of everything above.
  test('the audit events are on aegis.audit.v1, one throttling event per block, never a secret', async () => {
    const wanted = ['api_key.created', 'api_key.updated', 'api_key.rotated', 'api_key.revoked', 'api_key.disabled', 'api_key.enabled'];
    const ours = new Set(keyIds);
    const found = await auditEvents(
      auth.running,
      (event) => event.source === 'auth' && event.tenantId === TENANT && event.payload.case === 'audit'
        && (ours.has(event.payload.value.resource?.id ?? '') || event.action === 'api_key.verification_throttled'),
      (events) => wanted.every((action) => events.some((e) => e.action === action))
        && events.some((e) => e.payload.case === 'audit' && e.payload.value.details.some((d) => d.value === throttledSource)),
    );
    const actions = new Set(found.map((f) => f.event.action));
    for (const action of [...wanted, 'api_key.verification_throttled']) expect([action, actions.has(action)]).toEqual([action, true]);
    // One event for the source throttled above, however many attempts it made while blocked.
    const throttles = found.filter((f) => f.event.action === 'api_key.verification_throttled'
      && f.event.payload.case === 'audit' && f.event.payload.value.details.some((d) => d.key === 'source' && d.value === throttledSource));
    expect(throttles).toHaveLength(1);
    expect(throttles[0]!.event.outcome).toBe(Outcome.DENIED);
    const revoked = found.find((f) => f.event.action === 'api_key.revoked' && f.event.payload.case === 'audit' && f.event.payload.value.details.some((d) => d.value === 'leaked in a log'));
    expect(revoked?.event.actor).toMatchObject({ type: PrincipalType.API_KEY, userId: 'admin' });
    for (const { consumed } of found) {
      const bytes = Buffer.from(consumed.value);
      for (const secret of secrets) {
        expect(bytes.includes(secret)).toBe(false);
        expect(bytes.includes(secret.slice(12, 44))).toBe(false);
      }
    }
  });
});
