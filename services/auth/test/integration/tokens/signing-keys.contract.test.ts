// Signing keys end to end on both backend sets: JWKS and discovery, issue -> verify through the
// published key set, rotation (old tokens keep verifying, new ones use the new kid), retirement
// after the retention, and private keys that are sealed in the database.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Code } from '@connectrpc/connect';
import { createPrivateKey } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { SigningKeyState } from '@aegis/proto/aegis/auth/v1/token_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { createAccessTokenVerifier, openSealed, parseKeyring, remoteJwks, SecretBoxError, type SqlDatabase } from '@aegis/shared';
import { ROLE_PERMISSIONS } from '../../../src/tokens/domain/role-permissions.js';
import {
  embeddedTokenBackend,
  externalTokenBackend,
  ISSUER,
  JWKS_PATH,
  rejection,
  seedUsers,
  startTokensAuth,
  tempDataDir,
  within,
  type RunningTokensAuth,
} from './token-harness.js';

describe.each([embeddedTokenBackend(), externalTokenBackend()])('signing keys on $name', (backend) => {
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let auth: RunningTokensAuth;
  let db: SqlDatabase;
  let admin: string;

  beforeAll(async () => {
    await backend.setUp();
    dataDir = await tempDataDir();
    auth = await startTokensAuth(backend.env(dataDir.path));
    if (auth.adminKey === undefined) throw new Error('no bootstrap key on a fresh database');
    admin = auth.adminKey;
    db = await auth.openDatabase();
    await seedUsers(db, 'default', [{ id: 'alice', roles: ['developer'] }]);
  });
  afterAll(async () => {
    await auth?.stop();
    await dataDir?.remove();
    await backend.tearDown();
  });

  const jwksOverHttp = async () => {
    const res = await fetch(auth.url + JWKS_PATH);
    return { res, body: (await res.json()) as { keys: Array<Record<string, string>> } };
  };
  const issue = async (userId = 'alice') => (await auth.tokens(admin).issueToken({ tenantId: 'default', userId })).tokens!.accessToken;

  test('the JWKS publishes one EdDSA key at first, cacheable, the same as GetJwks', async () => {
    const { res, body } = await jwksOverHttp();
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toEqual({ kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', x: expect.any(String) });

    // No credential needed (public), and the same content as the HTTP document.
    const rpc = await auth.tokens().getJwks({});
    expect(rpc.keys.map((k) => ({ kid: k.kid, kty: k.kty, crv: k.crv, alg: k.alg, use: k.use, x: k.x }))).toEqual(body.keys);
  });

  test('OpenID discovery names the issuer and its key set', async () => {
    const res = await fetch(`${auth.url}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc).toMatchObject({ issuer: ISSUER, jwks_uri: `${ISSUER}${JWKS_PATH}`, id_token_signing_alg_values_supported: ['EdDSA'] });
  });

  test('an issued token verifies through the published key set, with the plan\'s claims and an RFC 9068 header', async () => {
    const token = await issue();
    const header = decodeProtectedHeader(token);
    const { keys } = (await jwksOverHttp()).body;
    expect(header).toEqual({ alg: 'EdDSA', kid: keys[0]!.kid, typ: 'at+jwt' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: ISSUER, sub: 'alice', aud: 'aegis', tenant: 'default', role: 'developer', roles: ['developer'],
      permissions: [...ROLE_PERMISSIONS.developer].sort(), jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(claims.exp! - claims.iat!).toBe(15 * 60);
    expect(claims.nbf).toBe(claims.iat);

    const verify = createAccessTokenVerifier({ issuer: ISSUER, audience: 'aegis', keys: remoteJwks(auth.url + JWKS_PATH) });
    await expect(verify(token)).resolves.toMatchObject({ tenantId: 'default', type: PrincipalType.USER, userId: 'alice', roles: ['developer'] });
  });

  test('rotation: old tokens still verify, new tokens carry the new kid, both keys are published', async () => {
    const verify = createAccessTokenVerifier({ issuer: ISSUER, audience: 'aegis', keys: remoteJwks(auth.url + JWKS_PATH, { cooldownMs: 0 }) });
    const before = await issue();
    await verify(before);
    const oldKid = decodeProtectedHeader(before).kid!;

    const rotated = await auth.tokens(admin).rotateSigningKey({ algorithm: 'ES256' });
    const newKid = rotated.activeKey!.kid;
    expect(newKid).not.toBe(oldKid);
    expect(rotated.activeKey).toMatchObject({ algorithm: 'ES256', state: SigningKeyState.ACTIVE });
    expect(rotated.activeKey!.retireTime).toBeUndefined();
    const old = rotated.publishedKeys.find((k) => k.kid === oldKid)!;
    expect(old.state).toBe(SigningKeyState.VERIFY_ONLY);
    // Published until every token it signed has expired: at least the longest lifetime (24 h).
    expect(Number(old.retireTime!.seconds) * 1000 - Date.now()).toBeGreaterThan(24 * 3_600_000 - 60_000);

    const after = await issue();
    expect(decodeProtectedHeader(after)).toMatchObject({ alg: 'ES256', kid: newKid });
    await expect(verify(after)).resolves.toMatchObject({ userId: 'alice' });
    await expect(verify(before)).resolves.toMatchObject({ userId: 'alice' });
    expect((await jwksOverHttp()).body.keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
    const discovery = (await (await fetch(`${auth.url}/.well-known/openid-configuration`)).json()) as { id_token_signing_alg_values_supported: string[] };
    expect(discovery.id_token_signing_alg_values_supported.sort()).toEqual(['ES256', 'EdDSA']);
  });

  test('RotateSigningKey is for platform operators with the permission, and refuses unknown algorithms', async () => {
    expect((await rejection(auth.tokens().rotateSigningKey({}))).code).toBe(Code.Unauthenticated);
    const alice = await issue();
    expect((await rejection(auth.tokens(alice).rotateSigningKey({}))).code).toBe(Code.PermissionDenied);
    const bad = await rejection(auth.tokens(admin).rotateSigningKey({ algorithm: 'HS256' }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.rawMessage).toMatch(/^algorithm: /);
  });

  test('a key past its retire time leaves the JWKS, and its tokens stop verifying', async () => {
    const token = await issue();
    const kid = decodeProtectedHeader(token).kid!;
    await auth.tokens(admin).rotateSigningKey({});
    // The retention (24 h+) is not waited for: the stored retire time decides, as it would then.
    await db.query(`UPDATE signing_keys SET activate_time = now() - interval '2 days', retire_time = now() - interval '1 second' WHERE kid = $1`, [kid]);
    await within(3_000, async () => !(await jwksOverHttp()).body.keys.some((k) => k.kid === kid), 'retired key removed from the JWKS');
    await within(3_000, async () => (await db.query('SELECT 1 FROM signing_keys WHERE kid = $1', [kid])).rows.length === 0, 'retired key row deleted');
    const fresh = createAccessTokenVerifier({ issuer: ISSUER, audience: 'aegis', keys: remoteJwks(auth.url + JWKS_PATH) });
    await expect(fresh(token)).rejects.toMatchObject({ kind: 'unauthenticated' });
    expect((await auth.tokens().introspectToken({ token })).active).toBe(false);
  });

  test('private keys are sealed in the database: not decodable, opened only with the keyring and their own kid', async () => {
    const { rows } = await db.query<{ kid: string; private_key_sealed: string; row: string }>('SELECT kid, private_key_sealed, to_jsonb(k)::text AS row FROM signing_keys k');
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const keyring = parseKeyring((await readFile(join(auth.service.config.serviceDataDir, 'encryption-keys'), 'utf8')).trim());
    for (const { kid, private_key_sealed: sealed, row } of rows) {
      expect(row).not.toMatch(/PRIVATE KEY|"d":/);
      // Read as a key in every plausible encoding of the column: none parses.
      for (const attempt of [sealed, Buffer.from(sealed, 'base64'), Buffer.from(sealed.split('.').at(-1)!, 'base64url')]) {
        expect(() => createPrivateKey(typeof attempt === 'string' ? attempt : { key: attempt, format: 'der', type: 'pkcs8' })).toThrow();
      }
      const pkcs8 = openSealed(keyring, sealed, `signing_key:${kid}`);
      expect(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).type).toBe('private');
      const other = rows.find((r) => r.kid !== kid)!.kid;
      expect(() => openSealed(keyring, sealed, `signing_key:${other}`)).toThrow(SecretBoxError);
    }
  });
});
