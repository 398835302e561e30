// IdentityProviderService end to end on both backend sets: discovery checked before a provider
// is saved, client secrets sealed at rest and never returned, versions, and audit events.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Code, ConnectError } from '@connectrpc/connect';
import { IdentityProviderKind } from '@aegis/proto/aegis/auth/v1/identity_provider_pb.js';
import { Outcome } from '@aegis/proto/aegis/events/v1/event_pb.js';
import type { SqlDatabase } from '@aegis/shared';
import { closeServer, startTestOidcProvider, type TestOidcProvider } from './test-oidc-provider.js';
import { detail, embeddedSsoBackend, externalSsoBackend, login, REDIRECT_URI, resourceId, startSsoAuth, tempDataDir, TENANT, type SsoAuth } from './sso-harness.js';

const SECRET = 'very-secret-client-secret-0123456789';
const CLIENT = { client_id: 'aegis', client_secret: SECRET, redirect_uris: [REDIRECT_URI] };

async function rejectionOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('expected the call to fail');
}

describe.each([embeddedSsoBackend(), externalSsoBackend()])('IdentityProviderService on $name', (backend) => {
  let idp: TestOidcProvider;
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let auth: SsoAuth;
  let db: SqlDatabase;

  const okta = (extra: Record<string, unknown> = {}) => ({
    providerId: 'okta', kind: IdentityProviderKind.OIDC, displayName: 'Okta', issuerUrl: idp.issuer, clientId: 'aegis', enabled: true,
    scopes: ['openid', 'email', 'profile', 'groups'], requiredScopes: ['email'], allowedEmailDomains: ['Example.com'], defaultRoles: ['developer'], ...extra,
  });

  beforeAll(async () => {
    await backend.setUp();
    idp = await startTestOidcProvider({ clients: [CLIENT], accounts: { alice: { email: 'alice@example.com', email_verified: true, name: 'Alice' } } });
    dataDir = await tempDataDir();
    auth = await startSsoAuth(backend.env(dataDir.path));
    db = await auth.openDatabase();
  });

  afterAll(async () => {
    await auth?.stop();
    await idp?.close();
    await dataDir?.remove();
    await backend.tearDown();
  });

  test('create: normalised configuration, secret sealed at rest and never returned, audited', async () => {
    const created = (await auth.providers.createIdentityProvider({ tenantId: TENANT, provider: okta(), clientSecret: SECRET })).provider!;
    expect(created).toMatchObject({
      tenantId: TENANT, providerId: 'okta', kind: IdentityProviderKind.OIDC, issuerUrl: idp.issuer, clientSecretSet: true,
      allowedEmailDomains: ['example.com'], mfaAmrValues: ['mfa', 'otp', 'hwk', 'swk'], version: 1n,
    });
    const listed = (await auth.providers.listIdentityProviders({ tenantId: TENANT })).providers;
    expect(listed.map((p) => p.providerId)).toContain('okta');

    const stored = await db.query<{ client_secret_sealed: string }>(`SELECT client_secret_sealed FROM identity_providers WHERE tenant_id = $1 AND id = 'okta'`, [TENANT]);
    expect(stored.rows[0]!.client_secret_sealed).toMatch(/^v1\.[A-Za-z0-9_-]+\./);
    expect(stored.rows[0]!.client_secret_sealed).not.toContain(SECRET);

    const audit = await auth.audit.waitFor('identity_provider.changed', (e) => e.action === 'identity_provider.changed' && resourceId(e) === 'okta' && detail(e, 'change') === 'created');
    expect(audit.outcome).toBe(Outcome.SUCCESS);
    expect(detail(audit, 'client_secret_set')).toBe('true');
    expect(JSON.stringify(audit, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).not.toContain(SECRET);

    // The sealed secret works: a login with it exchanges a code at the provider.
    const logged = await login(auth, 'okta', { account: 'alice' });
    expect(logged.user).toMatchObject({ email: 'alice@example.com', roles: ['developer'] });
  });

  test('the sealed secret is bound to its row: copied to another provider it does not open', async () => {
    await auth.providers.createIdentityProvider({ tenantId: TENANT, provider: okta({ providerId: 'copy', allowedEmailDomains: [] }), clientSecret: 'another-secret' });
    await db.query(`UPDATE identity_providers SET client_secret_sealed = (SELECT client_secret_sealed FROM identity_providers WHERE tenant_id = $1 AND id = 'okta') WHERE tenant_id = $1 AND id = 'copy'`, [TENANT]);
    const err = await rejectionOf(login(auth, 'copy', { account: 'alice' }));
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.rawMessage).toMatch(/cannot be decrypted/);
    await auth.providers.deleteIdentityProvider({ tenantId: TENANT, providerId: 'copy' });
  });

  test('update: versions, the stored secret kept when none is sent, replaced when one is', async () => {
    const before = (await auth.providers.getIdentityProvider({ tenantId: TENANT, providerId: 'okta' })).provider!;
    const sealedBefore = (await db.query<{ s: string }>(`SELECT client_secret_sealed AS s FROM identity_providers WHERE id = 'okta'`)).rows[0]!.s;

    const renamed = (await auth.providers.updateIdentityProvider({ tenantId: TENANT, provider: { ...before, displayName: 'Okta (prod)' }, expectedVersion: before.version })).provider!;
    expect(renamed).toMatchObject({ displayName: 'Okta (prod)', version: before.version + 1n, clientSecretSet: true });
    expect((await db.query<{ s: string }>(`SELECT client_secret_sealed AS s FROM identity_providers WHERE id = 'okta'`)).rows[0]!.s).toBe(sealedBefore);

    const stale = await rejectionOf(auth.providers.updateIdentityProvider({ tenantId: TENANT, provider: renamed, expectedVersion: before.version }));
    expect(stale.code).toBe(Code.Aborted);

    await auth.providers.updateIdentityProvider({ tenantId: TENANT, provider: renamed, clientSecret: 'wrong-secret' });
    expect((await db.query<{ s: string }>(`SELECT client_secret_sealed AS s FROM identity_providers WHERE id = 'okta'`)).rows[0]!.s).not.toBe(sealedBefore);
    // The provider refuses the new secret: an operator problem, said so.
    const refused = await rejectionOf(login(auth, 'okta', { account: 'alice' }));
    expect(refused.code).toBe(Code.FailedPrecondition);
    expect(refused.rawMessage).toMatch(/client credentials/);
    expect(refused.rawMessage).not.toContain('wrong-secret');
    await auth.providers.updateIdentityProvider({ tenantId: TENANT, provider: renamed, clientSecret: SECRET });
    await expect(login(auth, 'okta', { account: 'alice' })).resolves.toBeDefined();
  });

  test('create refuses bad input, a taken id, an unreachable issuer and an unusable discovery document', async () => {
    expect((await rejectionOf(auth.providers.createIdentityProvider({ tenantId: TENANT, provider: okta(), clientSecret: SECRET }))).code).toBe(Code.AlreadyExists);

    const bad = await rejectionOf(auth.providers.createIdentityProvider({ tenantId: TENANT, provider: okta({ providerId: 'x', scopes: ['email'] }) }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.rawMessage).toMatch(/provider\.scopes/);
    expect((await rejectionOf(auth.providers.createIdentityProvider({ tenantId: TENANT, provider: okta({ providerId: 'Bad Id' }) }))).code).toBe(Code.InvalidArgument);
    expect((await rejectionOf(auth.providers.createIdentityProvider({ tenantId: TENANT, provider: okta({ providerId: 'gh', kind: IdentityProviderKind.GITHUB, scopes: [], requiredScopes: [] }) }))).rawMessage).toMatch(/client_secret/);

    // Nothing listens on this port any more.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await closeServer(closed);
    const down = await rejectionOf(auth.providers.createIdentityProvider({ tenantId: TENANT, provider: okta({ providerId: 'down', issuerUrl: deadUrl }) }));
    expect(down.code).toBe(Code.Unavailable);
    expect(down.rawMessage).toMatch(/could not be reached/);

    // A URL whose discovery document names another issuer (a trailing slash is another issuer).
    const mismatch = await rejectionOf(auth.providers.createIdentityProvider({ tenantId: TENANT, provider: okta({ providerId: 'mismatch', issuerUrl: `${idp.issuer}/` }) }));
    expect(mismatch.code).toBe(Code.FailedPrecondition);
    expect(mismatch.rawMessage).toMatch(/another issuer/);
    expect((await auth.providers.listIdentityProviders({ tenantId: TENANT })).providers.map((p) => p.providerId)).not.toContain('down');
  });

  test('delete: version checked, then gone; its logins end with it', async () => {
    await auth.providers.createIdentityProvider({ tenantId: TENANT, provider: okta({ providerId: 'temp', allowedEmailDomains: [] }), clientSecret: SECRET });
    const linked = await login(auth, 'temp', { account: 'alice' });
    expect(linked.user?.identities.map((i) => i.providerId)).toContain('temp');

    expect((await rejectionOf(auth.providers.deleteIdentityProvider({ tenantId: TENANT, providerId: 'temp', expectedVersion: 9n }))).code).toBe(Code.Aborted);
    await auth.providers.deleteIdentityProvider({ tenantId: TENANT, providerId: 'temp', expectedVersion: 1n });
    expect((await rejectionOf(auth.providers.getIdentityProvider({ tenantId: TENANT, providerId: 'temp' }))).code).toBe(Code.NotFound);
    expect((await rejectionOf(auth.providers.deleteIdentityProvider({ tenantId: TENANT, providerId: 'temp' }))).code).toBe(Code.NotFound);
    const links = await db.query(`SELECT 1 FROM sso_identities WHERE tenant_id = $1 AND provider_id = 'temp'`, [TENANT]);
    expect(links.rowCount).toBe(0);
    await auth.audit.waitFor('identity_provider.changed (deleted)', (e) => e.action === 'identity_provider.changed' && resourceId(e) === 'temp' && detail(e, 'change') === 'deleted');
  });

  test('a user without identity_provider permissions is refused, in their tenant and in another', async () => {
    const user = await login(auth, 'okta', { account: 'alice' });
    const providersAsUser = auth.providersAs(user.tokens!.accessToken);
    expect((await rejectionOf(providersAsUser.listIdentityProviders({ tenantId: TENANT }))).code).toBe(Code.PermissionDenied);
    expect((await rejectionOf(providersAsUser.listIdentityProviders({ tenantId: 'globex' }))).code).toBe(Code.PermissionDenied);
    // The platform tenant's administrators look after every tenant (docs/contracts.md).
    await expect(auth.providers.listIdentityProviders({ tenantId: 'globex' })).resolves.toBeDefined();
  });
});
