// IssueToken's rules and the refresh-token families end to end, on both backend sets: single
// use and rotation, reuse revoking the whole family (audited), fresh roles on every refresh,
// and failures throttled per source.

import { randomInt } from 'node:crypto';
import { Code } from '@connectrpc/connect';
import { decodeJwt } from 'jose';
import type { TokenPair } from '@aegis/proto/aegis/auth/v1/token_pb.js';
import type { SqlDatabase } from '@aegis/shared';
import {
  auditEvents,
  codeOf,
  embeddedTokenBackend,
  externalTokenBackend,
  rejection,
  removeRedisMarks,
  seedUsers,
  startTokensAuth,
  tempDataDir,
  type RunningTokensAuth,
} from './token-harness.js';

describe.each([embeddedTokenBackend(), externalTokenBackend()])('IssueToken and RefreshToken on $name', (backend) => {
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let auth: RunningTokensAuth;
  let db: SqlDatabase;
  const sources: string[] = [];

  beforeAll(async () => {
    await backend.setUp();
    dataDir = await tempDataDir();
    auth = await startTokensAuth(backend.env(dataDir.path));
    db = await auth.openDatabase();
    await seedUsers(db, 'acme', [
      { id: 'alice', roles: ['developer'] },
      { id: 'bob', roles: ['viewer'] },
      { id: 'carol', roles: ['developer'], disabled: true },
      { id: 'dave', roles: ['admin'] },
      { id: 'erin', roles: ['operator'] },
    ]);
    await seedUsers(db, 'default', [{ id: 'alice', roles: ['developer'] }]);
  });
  afterAll(async () => {
    if (db !== undefined) await removeRedisMarks(backend.redisUrl, db, sources, backend.redisKeyPrefix);
    await auth?.stop();
    await dataDir?.remove();
    await backend.tearDown();
  });

  const issueFor = (userId: string, extra: Partial<Parameters<RunningTokensAuth['sideModule']['issuer']['issueForUser']>[0]> = {}) =>
    auth.sideModule.issuer.issueForUser({ tenantId: 'acme', userId, includeRefreshToken: true, ...extra });
  /** RefreshToken from a source of its own, so failure counts of other tests never interfere. */
  const refresher = () => {
    const source = `198.51.100.${randomInt(1, 255)}`;
    sources.push(source);
    return auth.tokens(undefined, { 'x-forwarded-for': `${source}, 10.0.0.1` });
  };
  const familyOf = async (accessToken: string) =>
    (await db.query<{ family_id: string }>('SELECT family_id FROM access_tokens WHERE jti = $1', [decodeJwt(accessToken).jti])).rows[0]!.family_id;

  describe('IssueToken', () => {
    test('a user issues for itself; anyone else needs token:issue in the same tenant', async () => {
      const alice = (await issueFor('alice')).accessToken;
      const dave = (await issueFor('dave')).accessToken;
      const own = await auth.tokens(alice).issueToken({ tenantId: 'acme', includeRefreshToken: true });
      expect(decodeJwt(own.tokens!.accessToken)).toMatchObject({ sub: 'alice', tenant: 'acme', role: 'developer' });
      expect(own.tokens!.refreshToken).toMatch(/^aegis_rt_[A-Za-z0-9_-]{43}$/);
      expect(own.tokens!.tokenType).toBe('Bearer');

      expect((await rejection(auth.tokens(alice).issueToken({ tenantId: 'acme', userId: 'bob' }))).code).toBe(Code.PermissionDenied);
      const forBob = await auth.tokens(dave).issueToken({ tenantId: 'acme', userId: 'bob', ttl: { seconds: 3600n } });
      const claims = decodeJwt(forBob.tokens!.accessToken);
      expect(claims).toMatchObject({ sub: 'bob', role: 'viewer', permissions: ['agent:read', 'memory:read', 'tool:read', 'workflow:read'] });
      expect(claims.exp! - claims.iat!).toBe(3600);
      expect(forBob.tokens!.refreshToken).toBe('');

      // The platform tenant's administrators look after every tenant; its other users do not,
      // and a platform user whose id happens to be alice's is not alice.
      expect(decodeJwt((await auth.tokens(auth.adminKey).issueToken({ tenantId: 'acme', userId: 'bob' })).tokens!.accessToken).sub).toBe('bob');
      expect((await rejection(auth.tokens(auth.adminKey).issueToken({ tenantId: 'acme' }))).rawMessage).toMatch(/^user_id: /);
      const namesake = (await auth.sideModule.issuer.issueForUser({ tenantId: 'default', userId: 'alice', includeRefreshToken: false })).accessToken;
      expect((await rejection(auth.tokens(namesake).issueToken({ tenantId: 'acme', userId: 'alice' }))).code).toBe(Code.PermissionDenied);
      const alicesJti = String(decodeJwt(alice).jti);
      expect((await rejection(auth.tokens(namesake).revokeToken({ tenantId: 'acme', target: { case: 'jti', value: alicesJti } }))).code).toBe(Code.PermissionDenied);
      expect((await rejection(auth.tokens().issueToken({ tenantId: 'acme', userId: 'bob' }))).code).toBe(Code.Unauthenticated);
    });

    test('bad input is InvalidArgument naming the field; unknown users NotFound; disabled users FailedPrecondition', async () => {
      const dave = (await issueFor('dave')).accessToken;
      const as = auth.tokens(dave);
      const field = async (call: Promise<unknown>) => {
        const err = await rejection(call);
        return `${Code[err.code]} ${err.rawMessage.split(':')[0]}`;
      };
      expect(await field(as.issueToken({ tenantId: 'acme', userId: 'bob', ttl: { seconds: 30n } }))).toBe('InvalidArgument ttl');
      expect(await field(as.issueToken({ tenantId: 'acme', userId: 'bob', ttl: { seconds: 25n * 3600n } }))).toBe('InvalidArgument ttl');
      expect(await field(as.issueToken({ tenantId: 'acme', userId: 'bob', audience: ['aegis', 'elsewhere'] }))).toBe('InvalidArgument audience[1]');
      expect(await field(as.issueToken({ tenantId: 'acme', userId: 'bob', scopes: ['ok', 'not ok'] }))).toBe('InvalidArgument scopes[1]');
      expect(await field(as.issueToken({ tenantId: 'Not A Tenant', userId: 'bob' }))).toBe('InvalidArgument tenant_id');
      expect(await codeOf(as.issueToken({ tenantId: 'acme', userId: 'nobody' }))).toBe('NotFound');
      expect(await codeOf(as.issueToken({ tenantId: 'acme', userId: 'carol' }))).toBe('FailedPrecondition');
      await expect(issueFor('carol')).rejects.toMatchObject({ kind: 'failed_precondition' });
    });

    test('a scope-narrowed token can only issue within its scopes, and a session token\'s own tokens stay in its session', async () => {
      const narrowed = (await issueFor('alice', { scopes: ['agent:read'], sessionId: '0190e7a4-0000-7000-8000-000000000001' })).accessToken;
      expect((await rejection(auth.tokens(narrowed).issueToken({ tenantId: 'acme', scopes: ['tool:read'] }))).code).toBe(Code.PermissionDenied);
      const derived = decodeJwt((await auth.tokens(narrowed).issueToken({ tenantId: 'acme' })).tokens!.accessToken);
      expect(derived).toMatchObject({ sub: 'alice', scope: 'agent:read', sid: '0190e7a4-0000-7000-8000-000000000001' });
    });
  });

  describe('RefreshToken', () => {
    test('each refresh spends the token and returns a new pair; reusing a spent one revokes the whole family', async () => {
      const client = refresher();
      const first = await issueFor('alice');
      const second = (await client.refreshToken({ refreshToken: first.refreshToken })).tokens!;
      const third = (await client.refreshToken({ tenantId: 'acme', refreshToken: second.refreshToken })).tokens!;
      const tokens = [first, second, third];
      expect(new Set(tokens.map((t) => t.refreshToken)).size).toBe(3);
      expect(new Set(tokens.map((t) => decodeJwt(t.accessToken).jti)).size).toBe(3);
      expect(third.refreshTokenExpireTime!.seconds).toBeGreaterThan(0n);
      const familyId = await familyOf(first.accessToken);
      expect(await familyOf(third.accessToken)).toBe(familyId);
      expect((await auth.tokens().introspectToken({ token: third.accessToken })).active).toBe(true);

      const reuse = await rejection(client.refreshToken({ refreshToken: first.refreshToken }));
      expect(reuse.code).toBe(Code.Unauthenticated);
      expect(reuse.rawMessage).toMatch(/already used/);
      // The newest token of the family is dead too, and so are the access tokens minted from it.
      const after = await rejection(client.refreshToken({ refreshToken: third.refreshToken }));
      expect([after.code, after.rawMessage]).toEqual([Code.Unauthenticated, 'the refresh token has been revoked']);
      for (const pair of tokens) expect((await auth.tokens().introspectToken({ token: pair.accessToken })).active).toBe(false);
      expect((await auth.tokens().introspectToken({ token: third.refreshToken })).active).toBe(false);

      const { rows } = await db.query<{ revoke_reason: string }>('SELECT revoke_reason FROM refresh_token_families WHERE id = $1', [familyId]);
      expect(rows[0]!.revoke_reason).toBe('reuse');
      const [reused] = await auditEvents(auth.running.events, (e) => e.action === 'refresh_token.reused' && e.payload.case === 'audit' && e.payload.value.resource?.id === familyId, 1);
      expect(reused).toBeDefined();
      if (reused!.event.payload.case !== 'audit') throw new Error('not an audit event');
      expect(reused!.event.payload.value.security?.alerts[0]?.code).toBe('REFRESH_TOKEN_REUSE');
      expect(reused!.event.actor?.userId).toBe('alice');
      for (const pair of tokens) {
        expect(reused!.bytes.includes(pair.refreshToken)).toBe(false);
        expect(reused!.bytes.includes(pair.accessToken.split('.')[2]!)).toBe(false);
      }
    });

    test('two refreshes racing with one token: exactly one wins, and the race burns the family', async () => {
      const client = refresher();
      const { refreshToken } = await issueFor('erin');
      const outcomes = await Promise.all([client.refreshToken({ refreshToken }), client.refreshToken({ refreshToken })].map(codeOf));
      expect(outcomes.sort()).toEqual(['OK', 'Unauthenticated']);
    });

    test('a refresh carries the user\'s roles as they are now, not as they were at login', async () => {
      const { refreshToken } = await issueFor('erin');
      await db.query(`UPDATE users SET roles = '{viewer}' WHERE tenant_id = 'acme' AND id = 'erin'`);
      const next = (await refresher().refreshToken({ refreshToken })).tokens!;
      expect(decodeJwt(next.accessToken)).toMatchObject({ role: 'viewer', roles: ['viewer'] });
    });

    test('expired, disabled-user, other-tenant, unknown and malformed refresh tokens are refused', async () => {
      const client = refresher();
      const refusal = async (call: Promise<unknown>) => {
        const err = await rejection(call);
        return `${Code[err.code]}: ${err.rawMessage}`;
      };
      const expired = await issueFor('alice');
      await db.query(`UPDATE refresh_tokens SET expire_time = now() - interval '1 second' WHERE family_id = $1`, [await familyOf(expired.accessToken)]);
      expect(await refusal(client.refreshToken({ refreshToken: expired.refreshToken }))).toBe('Unauthenticated: the refresh token has expired');

      const other = await issueFor('alice');
      expect(await refusal(client.refreshToken({ tenantId: 'globex', refreshToken: other.refreshToken }))).toBe('Unauthenticated: the refresh token is not valid');
      // Not spent by the refusal: the owner can still use it.
      await expect(client.refreshToken({ tenantId: 'acme', refreshToken: other.refreshToken })).resolves.toBeDefined();

      const bobs = await issueFor('bob');
      await db.query(`UPDATE users SET disabled_at = now() WHERE tenant_id = 'acme' AND id = 'bob'`);
      try {
        expect(await refusal(client.refreshToken({ refreshToken: bobs.refreshToken }))).toBe('Unauthenticated: the user may no longer sign in');
      } finally {
        await db.query(`UPDATE users SET disabled_at = NULL WHERE tenant_id = 'acme' AND id = 'bob'`);
      }

      expect(await refusal(client.refreshToken({ refreshToken: `aegis_rt_${'A'.repeat(43)}` }))).toBe('Unauthenticated: the refresh token is not valid');
      expect(await refusal(client.refreshToken({ refreshToken: 'garbage' }))).toBe('Unauthenticated: the refresh token is not valid');
      expect(await refusal(client.refreshToken({ refreshToken: '' }))).toMatch(/^InvalidArgument: refresh_token: /);
      const huge = await rejection(client.refreshToken({ refreshToken: `aegis_rt_${'A'.repeat(10_000)}` }));
      expect(huge.code).toBe(Code.InvalidArgument);
      expect(huge.rawMessage).not.toContain('AAAA');
    });

    test('a session that has ended ends its family', async () => {
      const sessionId = '0190e7a4-0000-7000-8000-0000000000aa';
      await db.query(
        `INSERT INTO sessions (id, tenant_id, user_id, expire_time) VALUES ($1, 'acme', 'alice', now() + interval '1 hour')`,
        [sessionId],
      );
      const pair: TokenPair = await issueFor('alice', { sessionId });
      expect(pair.sessionId).toBe(sessionId);
      // Bounded by the session's end, not the family's own lifetime.
      expect(Number(pair.refreshTokenExpireTime!.seconds) * 1000).toBeLessThanOrEqual(Date.now() + 3_600_000 + 1000);
      const next = (await refresher().refreshToken({ refreshToken: pair.refreshToken })).tokens!;
      const { rows } = await db.query<{ last_refresh_time: Date | null }>('SELECT last_refresh_time FROM sessions WHERE id = $1', [sessionId]);
      expect(rows[0]!.last_refresh_time).not.toBeNull();

      await db.query(`UPDATE sessions SET status = 'revoked', end_time = now() WHERE id = $1`, [sessionId]);
      const err = await rejection(refresher().refreshToken({ refreshToken: next.refreshToken }));
      expect([err.code, err.rawMessage]).toEqual([Code.Unauthenticated, 'the session has ended']);
      const { rows: family } = await db.query<{ revoke_reason: string }>('SELECT revoke_reason FROM refresh_token_families WHERE id = $1', [await familyOf(next.accessToken)]);
      expect(family[0]!.revoke_reason).toBe('session_ended');
    });

    test('failed refreshes are throttled per source; other sources are unaffected', async () => {
      const source = `203.0.113.${randomInt(1, 255)}`;
      sources.push(source);
      const flooder = auth.tokens(undefined, { 'x-forwarded-for': source });
      const bogus = `aegis_rt_${'B'.repeat(43)}`;
      for (let i = 0; i < 20; i++) expect(await codeOf(flooder.refreshToken({ refreshToken: bogus }))).toBe('Unauthenticated');
      const throttled = await rejection(flooder.refreshToken({ refreshToken: (await issueFor('alice')).refreshToken }));
      expect(throttled.code).toBe(Code.ResourceExhausted);
      expect(Number(throttled.metadata.get('retry-after'))).toBeGreaterThan(0);
      await expect(refresher().refreshToken({ refreshToken: (await issueFor('alice')).refreshToken })).resolves.toBeDefined();
    });

    test('token.issued and token.refreshed are audited by jti, without any token in them', async () => {
      const pair = await issueFor('alice');
      const next = (await refresher().refreshToken({ refreshToken: pair.refreshToken })).tokens!;
      const jtis = [pair, next].map((p) => decodeJwt(p.accessToken).jti);
      const found = await auditEvents(auth.running.events, (e) => e.payload.case === 'audit' && jtis.includes(e.payload.value.resource?.id ?? ''), 2);
      expect(found.map((f) => f.event.action).sort()).toEqual(['token.issued', 'token.refreshed']);
      for (const { event, bytes } of found) {
        expect(event.tenantId).toBe('acme');
        for (const secret of [pair.refreshToken, next.refreshToken, pair.accessToken, next.accessToken]) expect(bytes.includes(secret)).toBe(false);
        for (const signature of [pair, next].map((p) => p.accessToken.split('.')[2]!)) expect(bytes.includes(signature)).toBe(false);
      }
    });
  });
});
