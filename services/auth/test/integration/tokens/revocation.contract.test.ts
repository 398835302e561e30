// Revocation and introspection end to end, on both backend sets: RevokeToken by jti and by
// value (RFC 7009: unknown is fine), what a verifier fed by credential events then refuses,
// the shared revocation marks, session and user invalidation, and IntrospectToken's answers.

import { randomUUID } from 'node:crypto';
import { Code } from '@connectrpc/connect';
import { decodeJwt } from 'jose';
import { TokenType } from '@aegis/proto/aegis/auth/v1/token_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { createAccessTokenVerifier, remoteJwks, type SqlDatabase } from '@aegis/shared';
import {
  auditEvents,
  codeOf,
  credentialEventRecorder,
  embeddedTokenBackend,
  externalTokenBackend,
  ISSUER,
  JWKS_PATH,
  rejection,
  removeRedisMarks,
  seedUsers,
  startTokensAuth,
  tempDataDir,
  within,
  type RunningTokensAuth,
} from './token-harness.js';

describe.each([embeddedTokenBackend(), externalTokenBackend()])('revocation and introspection on $name', (backend) => {
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let auth: RunningTokensAuth;
  let db: SqlDatabase;
  let heard: Awaited<ReturnType<typeof credentialEventRecorder>>;
  let verify: ReturnType<typeof createAccessTokenVerifier>;

  beforeAll(async () => {
    await backend.setUp();
    dataDir = await tempDataDir();
    auth = await startTokensAuth(backend.env(dataDir.path));
    db = await auth.openDatabase();
    await seedUsers(db, 'acme', [{ id: 'alice', roles: ['developer'] }, { id: 'bob', roles: ['viewer'] }, { id: 'dave', roles: ['admin'] }]);
    await seedUsers(db, 'globex', [{ id: 'gina', roles: ['developer'] }]);
    heard = await credentialEventRecorder(backend.redisUrl, backend.redisKeyPrefix);
    // What every service's interceptor does: verify locally, refuse what credential events revoked.
    verify = createAccessTokenVerifier({ issuer: ISSUER, audience: 'aegis', keys: remoteJwks(auth.url + JWKS_PATH), isRevoked: heard.isRevoked });
  });
  afterAll(async () => {
    await heard?.close();
    if (db !== undefined) await removeRedisMarks(backend.redisUrl, db, [], backend.redisKeyPrefix);
    await auth?.stop();
    await dataDir?.remove();
    await backend.tearDown();
  });

  const issueFor = (userId: string, tenantId = 'acme', extra: { sessionId?: string; includeRefreshToken?: boolean } = {}) =>
    auth.sideModule.issuer.issueForUser({ tenantId, userId, includeRefreshToken: true, ...extra });
  const claimsOf = (token: string) => decodeJwt(token) as { jti: string; sub: string; tenant: string; iat: number; exp: number; sid?: string };
  const active = async (token: string, tenantId = '') => (await auth.tokens().introspectToken({ token, tenantId })).active;
  const refusedWithin = (token: string) => within(1_000, async () => (await codeOf(verify(token))) !== 'OK', 'verifier refuses the revoked token');

  test('revoking by jti: introspection says inactive, a verifier fed by credential events refuses it within 1 s, the shared marks hold it', async () => {
    const { accessToken } = await issueFor('alice');
    await expect(verify(accessToken)).resolves.toMatchObject({ userId: 'alice' });
    const claims = claimsOf(accessToken);

    await auth.tokens(accessToken).revokeToken({ tenantId: 'acme', target: { case: 'jti', value: claims.jti } });
    expect(await active(accessToken)).toBe(false);
    await refusedWithin(accessToken);
    await expect(verify(accessToken)).rejects.toMatchObject({ kind: 'unauthenticated', message: 'the access token has been revoked' });
    expect(heard.events).toContainEqual({ kind: 'access_token', tenantId: 'acme', jti: claims.jti, expiresAt: claims.exp * 1000 });
    expect(await auth.sideModule.revocationMarks.isRevoked(claims)).toBe(true);
    if (backend.redisUrl !== undefined) {
      // Kept until the token would have expired anyway (plus the verifiers' clock tolerance), no longer.
      const ttlMs = await backendRedisPttl(backend.redisUrl, `${backend.redisKeyPrefix}auth:revoked:jti:${claims.jti}`);
      expect(ttlMs).toBeGreaterThan(14 * 60_000);
      expect(ttlMs).toBeLessThanOrEqual(15 * 60_000 + 60_000);
    }
    // The revoked token no longer authenticates anything, auth's own RPCs included.
    expect(await codeOf(auth.tokens(accessToken).revokeToken({ tenantId: 'acme', target: { case: 'jti', value: claims.jti } }))).toBe('Unauthenticated');
    // Idempotent: revoking again (here by an admin) still succeeds.
    const dave = (await issueFor('dave')).accessToken;
    await expect(auth.tokens(dave).revokeToken({ tenantId: 'acme', target: { case: 'jti', value: claims.jti } })).resolves.toBeDefined();
  });

  test('revoking an access token by value, and a refresh token with its whole family', async () => {
    const pair = await issueFor('alice');
    await auth.tokens(pair.accessToken).revokeToken({ tenantId: 'acme', target: { case: 'token', value: pair.accessToken } });
    expect(await active(pair.accessToken)).toBe(false);
    await refusedWithin(pair.accessToken);

    const other = await issueFor('alice');
    const next = (await auth.tokens().refreshToken({ refreshToken: other.refreshToken })).tokens!;
    await auth.tokens(next.accessToken).revokeToken({ tenantId: 'acme', target: { case: 'token', value: next.refreshToken } });
    expect(await codeOf(auth.tokens().refreshToken({ refreshToken: next.refreshToken }))).toBe('Unauthenticated');
    expect(await active(next.accessToken)).toBe(false);
    await refusedWithin(next.accessToken);
  });

  test('unknown, invalid and other tenants\' tokens "revoke" successfully and change nothing (RFC 7009)', async () => {
    const admin = (await issueFor('dave')).accessToken;
    const gina = await issueFor('gina', 'globex');
    const revoke = (target: { case: 'jti' | 'token'; value: string }) => auth.tokens(admin).revokeToken({ tenantId: 'acme', target });
    for (const target of [
      { case: 'jti' as const, value: randomUUID() },
      { case: 'jti' as const, value: 'not-a-uuid' },
      { case: 'token' as const, value: 'garbage' },
      { case: 'token' as const, value: `aegis_rt_${'C'.repeat(43)}` },
      { case: 'token' as const, value: `${admin.slice(0, -4)}AAAA` },
      { case: 'jti' as const, value: claimsOf(gina.accessToken).jti },
      { case: 'token' as const, value: gina.refreshToken },
    ]) {
      await expect(revoke(target)).resolves.toBeDefined();
    }
    expect(await active(gina.accessToken)).toBe(true);
    expect(await active(gina.refreshToken)).toBe(true);

    const missing = await rejection(auth.tokens(admin).revokeToken({ tenantId: 'acme' }));
    expect([missing.code, missing.rawMessage]).toEqual([Code.InvalidArgument, 'target: set either token or jti']);
    expect((await rejection(auth.tokens().revokeToken({ tenantId: 'acme', target: { case: 'jti', value: randomUUID() } }))).code).toBe(Code.Unauthenticated);
  });

  test('a principal revokes its own tokens; someone else\'s need token:revoke', async () => {
    const alices = await issueFor('alice');
    const bob = (await issueFor('bob')).accessToken;
    const dave = (await issueFor('dave')).accessToken;
    const target = { case: 'jti' as const, value: claimsOf(alices.accessToken).jti };
    expect((await rejection(auth.tokens(bob).revokeToken({ tenantId: 'acme', target }))).code).toBe(Code.PermissionDenied);
    expect((await rejection(auth.tokens(bob).revokeToken({ tenantId: 'acme', target: { case: 'token', value: alices.refreshToken } }))).code).toBe(Code.PermissionDenied);
    expect(await active(alices.accessToken)).toBe(true);
    await auth.tokens(dave).revokeToken({ tenantId: 'acme', target });
    expect(await active(alices.accessToken)).toBe(false);
  });

  test('revokeSession (TokenIssuer): the session\'s families and every token carrying its sid', async () => {
    const sessionId = '0190e7a4-0000-7000-8000-0000000000bb';
    await db.query(`INSERT INTO sessions (id, tenant_id, user_id, expire_time) VALUES ($1, 'acme', 'alice', now() + interval '1 hour')`, [sessionId]);
    const login = await issueFor('alice', 'acme', { sessionId });
    // A token the user issued for itself from the session's token carries the sid too.
    const derived = (await auth.tokens(login.accessToken).issueToken({ tenantId: 'acme' })).tokens!.accessToken;
    expect(claimsOf(derived).sid).toBe(sessionId);

    await auth.sideModule.issuer.revokeSession('acme', sessionId);
    expect(await codeOf(auth.tokens().refreshToken({ refreshToken: login.refreshToken }))).toBe('Unauthenticated');
    for (const token of [login.accessToken, derived]) {
      expect(await active(token)).toBe(false);
      await refusedWithin(token);
    }
    expect(heard.events).toContainEqual(expect.objectContaining({ kind: 'session', tenantId: 'acme', sessionId }));
    expect(await auth.sideModule.revocationMarks.isRevoked(claimsOf(derived))).toBe(true);
  });

  test('invalidateUser (CredentialInvalidation): no refresh family and no access token of the user survives', async () => {
    const pairs = [await issueFor('bob'), await issueFor('bob', 'acme', { includeRefreshToken: false })];
    const alice = (await issueFor('alice')).accessToken;
    await auth.sideModule.invalidation.invalidateUser('acme', 'bob');
    expect(await codeOf(auth.tokens().refreshToken({ refreshToken: pairs[0]!.refreshToken }))).toBe('Unauthenticated');
    for (const { accessToken } of pairs) {
      expect(await active(accessToken)).toBe(false);
      await refusedWithin(accessToken);
      expect(await auth.sideModule.revocationMarks.isRevoked(claimsOf(accessToken))).toBe(true);
    }
    expect(heard.events).toContainEqual(expect.objectContaining({ kind: 'user', tenantId: 'acme', userId: 'bob' }));
    expect(await active(alice)).toBe(true);
    await expect(verify(alice)).resolves.toBeDefined();
  });

  test('IntrospectToken: an active access token with its facts; refresh tokens too; inactive for everything else', async () => {
    const pair = await issueFor('alice');
    const claims = claimsOf(pair.accessToken);
    const res = await auth.tokens().introspectToken({ token: pair.accessToken, tenantId: 'acme' });
    expect(res).toMatchObject({
      active: true,
      tokenType: TokenType.ACCESS_TOKEN,
      jti: claims.jti,
      issuer: ISSUER,
      audience: ['aegis'],
      principal: { tenantId: 'acme', type: PrincipalType.USER, userId: 'alice', roles: ['developer'] },
    });
    expect(Number(res.expireTime!.seconds)).toBe(claims.exp);
    expect(Number(res.issueTime!.seconds)).toBe(claims.iat);
    expect(Number(res.notBeforeTime!.seconds)).toBe(claims.iat);

    const refresh = await auth.tokens().introspectToken({ token: pair.refreshToken, tokenTypeHint: TokenType.REFRESH_TOKEN });
    expect(refresh).toMatchObject({ active: true, tokenType: TokenType.REFRESH_TOKEN, principal: { userId: 'alice' } });

    const inactive = [
      await active(pair.accessToken, 'globex'),
      await active(pair.refreshToken, 'globex'),
      await active('garbage'),
      await active(`${pair.accessToken.slice(0, -6)}AAAAAA`),
      await active(`x${'y'.repeat(20_000)}`),
    ];
    expect(inactive).toEqual([false, false, false, false, false]);
    const empty = await rejection(auth.tokens().introspectToken({ token: '' }));
    expect([empty.code, empty.rawMessage]).toEqual([Code.InvalidArgument, 'token: must not be empty']);
    const inactiveAnswer = await auth.tokens().introspectToken({ token: 'garbage' });
    expect(inactiveAnswer.principal).toBeUndefined();
    expect(inactiveAnswer.jti).toBe('');

    await db.query(`UPDATE users SET disabled_at = now() WHERE tenant_id = 'acme' AND id = 'alice'`);
    try {
      expect(await active(pair.accessToken)).toBe(false);
    } finally {
      await db.query(`UPDATE users SET disabled_at = NULL WHERE tenant_id = 'acme' AND id = 'alice'`);
    }
  });

  test('revocations are audited as token.revoked, by jti or id, never with the token', async () => {
    const { accessToken } = await issueFor('alice');
    const { jti } = claimsOf(accessToken);
    await auth.tokens(accessToken).revokeToken({ tenantId: 'acme', target: { case: 'token', value: accessToken } });
    const [found] = await auditEvents(auth.running.events, (e) => e.action === 'token.revoked' && e.payload.case === 'audit' && e.payload.value.resource?.id === jti, 1);
    expect(found?.event.actor).toMatchObject({ type: PrincipalType.USER, userId: 'alice' });
    expect(found!.bytes.includes(accessToken.split('.')[2]!)).toBe(false);
  });
});

async function backendRedisPttl(url: string, key: string): Promise<number> {
  const { createLogger, createRedis, closeRedis } = await import('@aegis/shared');
  const redis = createRedis({ url, name: 'tokens-test-pttl', logger: createLogger({ service: 'tokens-test', level: 'warn' }) });
  try {
    return await redis.pttl(key);
  } finally {
    await closeRedis(redis);
  }
}
