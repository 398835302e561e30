// Two auth instances on one Postgres database, one Redis and one Kafka: they start together
// without both creating a key, converge on a rotation within a second, and see each other's
// revocations and refresh-token spends. Real Postgres only (PGlite is one process).

import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { SqlDatabase } from '@aegis/shared';
import {
  codeOf,
  externalTokenBackend,
  JWKS_PATH,
  removeRedisMarks,
  seedUsers,
  startTokensAuth,
  tempDataDir,
  within,
  type RunningTokensAuth,
} from './token-harness.js';

describe('two auth instances on Postgres + Kafka + Redis', () => {
  const backend = externalTokenBackend();
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let a: RunningTokensAuth;
  let b: RunningTokensAuth;
  let admin: string;
  let db: SqlDatabase;

  beforeAll(async () => {
    await backend.setUp();
    dataDir = await tempDataDir();
    // One host, one data directory: they share the generated keyring and pepper files.
    // Housekeeping far apart: only the broadcast announcement can make B converge within 1 s.
    const env = { ...backend.env(dataDir.path), AEGIS_AUTH_SIGNING_KEY_CHECK_INTERVAL_MS: '60s' };
    [a, b] = await Promise.all([startTokensAuth(env), startTokensAuth(env)]);
    admin = (a.adminKey ?? b.adminKey)!;
    db = await a.openDatabase();
    await seedUsers(db, 'acme', [{ id: 'alice', roles: ['developer'] }, { id: 'dave', roles: ['admin'] }]);
  });
  afterAll(async () => {
    if (db !== undefined) await removeRedisMarks(backend.redisUrl, db, [], backend.redisKeyPrefix);
    await Promise.all([a?.stop(), b?.stop()]);
    await dataDir?.remove();
    await backend.tearDown();
  });

  const kidIssuedBy = async (instance: RunningTokensAuth) =>
    decodeProtectedHeader((await instance.tokens(admin).issueToken({ tenantId: 'default', userId: 'admin' })).tokens!.accessToken).kid!;
  const jwksOf = async (instance: RunningTokensAuth) => ((await (await fetch(instance.url + JWKS_PATH)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);

  test('starting together, they created exactly one signing key and publish the same set', async () => {
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM signing_keys');
    expect(rows[0]!.n).toBe('1');
    expect(await jwksOf(a)).toEqual(await jwksOf(b));
    expect(await kidIssuedBy(a)).toBe(await kidIssuedBy(b));
  });

  test('a rotation on one instance: the other signs with the new key within 1 s', async () => {
    const rotated = await a.tokens(admin).rotateSigningKey({});
    const newKid = rotated.activeKey!.kid;
    const elapsed = await within(1_000, async () => (await kidIssuedBy(b)) === newKid, 'instance B signing with the rotated key');
    expect(elapsed).toBeLessThan(1_000);
    expect(await jwksOf(b)).toEqual(await jwksOf(a));
  });

  test('a revocation on one instance: the other refuses the token within 1 s', async () => {
    const dave = (await a.sideModule.issuer.issueForUser({ tenantId: 'acme', userId: 'dave', includeRefreshToken: false })).accessToken;
    const alice = (await a.sideModule.issuer.issueForUser({ tenantId: 'acme', userId: 'alice', includeRefreshToken: false })).accessToken;
    expect(await codeOf(b.tokens(alice).issueToken({ tenantId: 'acme' }))).toBe('OK');
    await a.tokens(dave).revokeToken({ tenantId: 'acme', target: { case: 'jti', value: decodeJwt(alice).jti! } });
    expect((await b.tokens().introspectToken({ token: alice })).active).toBe(false);
    await within(1_000, async () => (await codeOf(b.tokens(alice).issueToken({ tenantId: 'acme' }))) === 'Unauthenticated', 'instance B refusing the revoked token');
  });

  test('a refresh token spent on one instance is reuse on the other', async () => {
    const pair = await a.sideModule.issuer.issueForUser({ tenantId: 'acme', userId: 'alice', includeRefreshToken: true });
    const next = (await a.tokens().refreshToken({ refreshToken: pair.refreshToken })).tokens!;
    expect(await codeOf(b.tokens().refreshToken({ refreshToken: pair.refreshToken }))).toBe('Unauthenticated');
    expect(await codeOf(a.tokens().refreshToken({ refreshToken: next.refreshToken }))).toBe('Unauthenticated');
  });
});
