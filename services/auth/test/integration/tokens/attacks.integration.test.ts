// The JWT attack suite against the running service, on both backend sets: every forged token
// is inactive for IntrospectToken (an answer, never an error) and Unauthenticated as a bearer
// credential. Tokens "signed by us" use the service's real private key, opened from the
// database with the keyring the way the service does, so only the attacked property differs.

import { webcrypto } from 'node:crypto';
import { CompactSign, exportSPKI, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { openSealed, type SqlDatabase } from '@aegis/shared';
import {
  codeOf,
  embeddedTokenBackend,
  externalTokenBackend,
  ISSUER,
  JWKS_PATH,
  seedUsers,
  startTokensAuth,
  tempDataDir,
  type RunningTokensAuth,
} from './token-harness.js';

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const sign = (payload: object, header: Record<string, unknown>, key: CryptoKey | Uint8Array) =>
  new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header as { alg: string }).sign(key);

describe.each([embeddedTokenBackend(), externalTokenBackend()])('the JWT attack suite against auth on $name', (backend) => {
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let auth: RunningTokensAuth;
  let db: SqlDatabase;
  let genuine: string;
  let ours: { kid: string; privateKey: CryptoKey; publicJwk: JWK; publicPem: string };
  let foreign: { privateKey: CryptoKey; publicJwk: JWK };

  beforeAll(async () => {
    await backend.setUp();
    dataDir = await tempDataDir();
    auth = await startTokensAuth(backend.env(dataDir.path));
    db = await auth.openDatabase();
    await seedUsers(db, 'acme', [{ id: 'alice', roles: ['developer'] }]);
    genuine = (await auth.sideModule.issuer.issueForUser({ tenantId: 'acme', userId: 'alice', includeRefreshToken: false })).accessToken;

    const kid = decodeProtectedHeader(genuine).kid!;
    const { rows } = await db.query<{ private_key_sealed: string; public_jwk: JWK }>('SELECT private_key_sealed, public_jwk FROM signing_keys WHERE kid = $1', [kid]);
    const pkcs8 = openSealed(auth.keyring, rows[0]!.private_key_sealed, `signing_key:${kid}`);
    const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']) as CryptoKey;
    const publicJwk = rows[0]!.public_jwk;
    ours = { kid, privateKey, publicJwk, publicPem: await exportSPKI(await importJWK(publicJwk, 'EdDSA') as CryptoKey) };
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    foreign = { privateKey: pair.privateKey, publicJwk: { ...(await webcrypto.subtle.exportKey('jwk', pair.publicKey as webcrypto.CryptoKey)) } as JWK };
  });
  afterAll(async () => {
    await auth?.stop();
    await dataDir?.remove();
    await backend.tearDown();
  });

  const now = () => Math.floor(Date.now() / 1000);
  const claims = (over: Record<string, unknown> = {}) => ({ ...decodeJwt(genuine), sub: 'alice', role: 'admin', roles: ['admin'], permissions: ['*'], ...over });
  const header = (over: Record<string, unknown> = {}) => ({ alg: 'EdDSA', kid: ours.kid, typ: 'at+jwt', ...over });

  const attacks: Array<[string, () => Promise<string> | string]> = [
    ['alg none', () => `${b64url(header({ alg: 'none' }))}.${b64url(claims())}.`],
    ['alg none with a signature part', () => `${b64url(header({ alg: 'none' }))}.${b64url(claims())}.c2ln`],
    ['HS256 keyed with our public key (alg confusion)', () => sign(claims(), header({ alg: 'HS256' }), new TextEncoder().encode(ours.publicPem))],
    ['HS256 keyed with our raw public key bytes', () => sign(claims(), header({ alg: 'HS256' }), Buffer.from(ours.publicJwk.x!, 'base64url'))],
    ['unknown kid', () => sign(claims(), header({ kid: 'k-attacker' }), foreign.privateKey)],
    ['foreign key under our kid', () => sign(claims(), header(), foreign.privateKey)],
    ['expired (our key)', () => sign(claims({ iat: now() - 7200, nbf: now() - 7200, exp: now() - 3600 }), header(), ours.privateKey)],
    ['not yet valid (our key)', () => sign(claims({ nbf: now() + 3600, exp: now() + 7200 }), header(), ours.privateKey)],
    ['wrong issuer (our key)', () => sign(claims({ iss: 'https://evil.example' }), header(), ours.privateKey)],
    ['wrong audience (our key)', () => sign(claims({ aud: 'somebody-else' }), header(), ours.privateKey)],
    ['wrong typ (our key)', () => sign(claims(), header({ typ: 'JWT' }), ours.privateKey)],
    ['tampered payload (genuine signature)', () => {
      const [h, , s] = genuine.split('.');
      return `${h}.${b64url(claims())}.${s}`;
    }],
    ['oversized (our key)', () => sign(claims({ padding: 'x'.repeat(9_000) }), header(), ours.privateKey)],
    ['garbage', () => 'eyJnYXJiYWdl.garbage.garbage'],
    ['embedded jwk', () => sign(claims(), header({ kid: 'k-attacker', jwk: foreign.publicJwk }), foreign.privateKey)],
    ['jku', () => sign(claims(), header({ kid: 'k-attacker', jku: `${ISSUER}${JWKS_PATH}` }), foreign.privateKey)],
    ['jku on our own key', () => sign(claims(), header({ jku: 'https://evil.example/jwks.json' }), ours.privateKey)],
  ];

  test('the control: the genuine token is active and authenticates', async () => {
    expect((await auth.tokens().introspectToken({ token: genuine })).active).toBe(true);
    expect(await codeOf(auth.tokens(genuine).issueToken({ tenantId: 'acme' }))).toBe('OK');
  });

  test.each(attacks)('%s: inactive to IntrospectToken, Unauthenticated as a credential, a no-op to RevokeToken', async (_name, forge) => {
    const token = await forge();
    const res = await auth.tokens().introspectToken({ token });
    expect(res.active).toBe(false);
    expect(res.principal).toBeUndefined();
    expect(await codeOf(auth.tokens(token).issueToken({ tenantId: 'acme' }))).toBe('Unauthenticated');
    await expect(auth.tokens(genuine).revokeToken({ tenantId: 'acme', target: { case: 'token', value: token } })).resolves.toBeDefined();
    // Revoking a forgery never touched the genuine token it imitated.
    expect((await auth.tokens().introspectToken({ token: genuine })).active).toBe(true);
  });
});
