// OIDC login end to end against a real OpenID provider (oidc-provider on loopback), over a
// real Connect client, on both backend sets: the authorization code flow with PKCE, the ID
// token checks (nonce, issuer, audience), the SSO rules (domain, MFA) and their audit events.

import { randomBytes } from 'node:crypto';
import { Code, ConnectError } from '@connectrpc/connect';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { IdentityProviderKind } from '@aegis/proto/aegis/auth/v1/identity_provider_pb.js';
import { SessionStatus } from '@aegis/proto/aegis/auth/v1/session_pb.js';
import { Outcome } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { startDiscoveryImpostor, startTestOidcProvider, type TestOidcProvider } from './test-oidc-provider.js';
import {
  browseToCallback, detail, embeddedSsoBackend, exchange, externalSsoBackend, login, REDIRECT_URI, resourceId, startSsoAuth, tempDataDir, TENANT,
  type SsoAuth,
} from './sso-harness.js';

const CLIENT = { client_id: 'aegis', client_secret: 'aegis-client-secret-1', redirect_uris: [REDIRECT_URI] };
const OTHER_CLIENT = { client_id: 'other-app', client_secret: 'other-client-secret-2', redirect_uris: [REDIRECT_URI] };
const ACCOUNTS = {
  alice: { email: 'alice@example.com', email_verified: true, name: 'Alice Example' },
  bob: { email: 'bob@example.org', email_verified: true, name: 'Bob Example' },
  mallory: { email: 'mallory@example.org', email_verified: false, name: 'Mallory' },
};

// Above the failures the other tests cause from the instance's client address.
const FAILURE_LIMIT = 12;

async function rejectionOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('expected the call to fail');
}

describe.each([embeddedSsoBackend(), externalSsoBackend()])('OIDC login on $name', (backend) => {
  let idp: TestOidcProvider;
  let misbehaving: TestOidcProvider;
  let impostor: Awaited<ReturnType<typeof startDiscoveryImpostor>>;
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let auth: SsoAuth;

  const oidcProvider = (providerId: string, issuerUrl: string, extra: Record<string, unknown> = {}) => auth.providers.createIdentityProvider({
    tenantId: TENANT,
    provider: { providerId, kind: IdentityProviderKind.OIDC, displayName: providerId, issuerUrl, clientId: CLIENT.client_id, enabled: true, ...extra },
    clientSecret: CLIENT.client_secret,
  });

  beforeAll(async () => {
    await backend.setUp();
    idp = await startTestOidcProvider({ clients: [CLIENT, OTHER_CLIENT], accounts: ACCOUNTS });
    misbehaving = await startTestOidcProvider({
      clients: [CLIENT, OTHER_CLIENT],
      accounts: ACCOUNTS,
      answerTokenRequestsAs: { clientId: OTHER_CLIENT.client_id, clientSecret: OTHER_CLIENT.client_secret },
    });
    impostor = await startDiscoveryImpostor(idp.issuer);
    dataDir = await tempDataDir();
    // GOOGLE-kind providers find "Google" at the local provider.
    auth = await startSsoAuth({ ...backend.env(dataDir.path), AEGIS_AUTH_SSO_GOOGLE_ISSUER: idp.issuer, AEGIS_AUTH_SSO_FAILURE_LIMIT: String(FAILURE_LIMIT) });
    await oidcProvider('corp', idp.issuer);
    await oidcProvider('corp-domains', idp.issuer, { allowedEmailDomains: ['example.org'] });
    await oidcProvider('corp-mfa', idp.issuer, { requireMfa: true });
    await oidcProvider('impostor', impostor.issuer);
    await oidcProvider('substituting', misbehaving.issuer);
    await auth.providers.createIdentityProvider({
      tenantId: TENANT,
      provider: { providerId: 'google', kind: IdentityProviderKind.GOOGLE, displayName: 'Google', clientId: CLIENT.client_id, enabled: true },
      clientSecret: CLIENT.client_secret,
    });
  });

  afterAll(async () => {
    await auth?.stop();
    await Promise.all([idp?.close(), misbehaving?.close(), impostor?.close()]);
    await dataDir?.remove();
    await backend.tearDown();
  });

  test('a login returns Aegis tokens that verify, a session, and a new user; the next login finds the same user', async () => {
    const first = await login(auth, 'corp', { account: 'alice', amr: ['pwd'] });
    expect(first.userCreated).toBe(true);
    expect(first.user).toMatchObject({ tenantId: TENANT, email: 'alice@example.com', displayName: 'Alice Example', roles: ['viewer'] });
    expect(first.user?.identities.map((i) => [i.providerId, i.subject])).toEqual([['corp', 'alice']]);
    expect(first.session).toMatchObject({ tenantId: TENANT, userId: first.user!.userId, providerId: 'corp', status: SessionStatus.ACTIVE, amr: ['pwd'], ipAddress: auth.clientIp, userAgent: 'sso-test/1' });
    const created = Number(first.session!.createTime!.seconds);
    expect(Number(first.session!.expireTime!.seconds) - created).toBe(3600);

    const tokens = first.tokens!;
    expect(tokens.refreshToken).not.toBe('');
    expect(tokens.sessionId).toBe(first.session!.sessionId);
    const discovery = await (await fetch(`${auth.service.url}/.well-known/openid-configuration`)).json() as { issuer: string };
    const jwks = createRemoteJWKSet(new URL(`${auth.service.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(tokens.accessToken, jwks, { issuer: discovery.issuer });
    expect(payload).toMatchObject({ sub: first.user!.userId, tenant: TENANT, sid: first.session!.sessionId, amr: ['pwd'] });

    // The session is there for its owner, with the token it was issued with.
    const own = await auth.sessionsAs(tokens.accessToken).getSession({ tenantId: TENANT, sessionId: first.session!.sessionId });
    expect(own.session?.status).toBe(SessionStatus.ACTIVE);

    const before = (await auth.users.getUser({ tenantId: TENANT, userId: first.user!.userId })).user!;
    const second = await login(auth, 'corp', { account: 'alice', amr: ['pwd'] });
    expect(second.userCreated).toBe(false);
    expect(second.user?.userId).toBe(first.user!.userId);
    expect(second.session!.sessionId).not.toBe(first.session!.sessionId);
    // The login is recorded on the user without making it a new version of the user.
    const { user } = await auth.users.getUser({ tenantId: TENANT, userId: first.user!.userId });
    expect(Number(user!.lastLoginTime?.seconds ?? 0n)).toBeGreaterThanOrEqual(created);
    expect(user!.version).toBe(before.version);
    expect(Number(user!.lastLoginTime!.seconds)).toBeGreaterThanOrEqual(Number(before.lastLoginTime!.seconds));

    const success = await auth.audit.waitFor('auth.login_succeeded', (e) => e.action === 'auth.login_succeeded' && resourceId(e) === first.session!.sessionId);
    expect(success.outcome).toBe(Outcome.SUCCESS);
    expect(success.actor?.userId).toBe(first.user!.userId);
    expect(detail(success, 'user_created')).toBe('true');
  });

  test('a GOOGLE-kind provider logs the same person in and links by the verified e-mail', async () => {
    const viaCorp = await login(auth, 'corp', { account: 'alice' });
    const viaGoogle = await login(auth, 'google', { account: 'alice' });
    expect(viaGoogle.userCreated).toBe(false);
    expect(viaGoogle.user?.userId).toBe(viaCorp.user!.userId);
    expect(viaGoogle.user?.identities.map((i) => i.providerId).sort()).toEqual(['corp', 'google']);
  });

  test('an unverified e-mail never links to an existing user', async () => {
    const bob = await login(auth, 'corp', { account: 'bob' });
    // mallory's provider account claims no verified address: a separate user, without an e-mail.
    const mallory = await login(auth, 'corp', { account: 'mallory' });
    expect(mallory.userCreated).toBe(true);
    expect(mallory.user?.userId).not.toBe(bob.user!.userId);
    expect(mallory.user?.email).toBe('');
  });

  test('a state is good for one exchange: the replay is refused and audited', async () => {
    const attempt = await browseToCallback(auth, 'corp', { account: 'alice' });
    await exchange(auth, attempt);
    const replay = await rejectionOf(exchange(auth, attempt));
    expect(replay.code).toBe(Code.Unauthenticated);
    expect(replay.rawMessage).toMatch(/unknown, expired or already used/);
    const failed = await auth.audit.waitFor('auth.login_failed (state_unknown)', (e) => e.action === 'auth.login_failed' && detail(e, 'reason') === 'state_unknown' && e.payload.case === 'audit' && e.payload.value.user?.ipAddress === auth.clientIp);
    expect(failed.outcome).toBe(Outcome.FAILURE);
    // Nothing of the login's secrets is in the event.
    const json = JSON.stringify(failed, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    expect(json).not.toContain(attempt.state);
    expect(json).not.toContain(attempt.callback.searchParams.get('code')!);
  });

  test('a code that the provider does not know is refused as Unauthenticated', async () => {
    const attempt = await browseToCallback(auth, 'corp', { account: 'alice' });
    attempt.callback.searchParams.set('code', 'not-a-code-the-provider-issued');
    const err = await rejectionOf(exchange(auth, attempt));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.rawMessage).toMatch(/invalid_grant/);
  });

  test('an ID token with another nonce is refused', async () => {
    const attempt = await browseToCallback(auth, 'corp', { account: 'alice' }, (url) => url.searchParams.set('nonce', 'a-nonce-of-another-login'));
    const err = await rejectionOf(exchange(auth, attempt));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.rawMessage).toMatch(/nonce/);
  });

  test('an ID token from another issuer than the configured one is refused (mix-up)', async () => {
    const err = await rejectionOf(login(auth, 'impostor', { account: 'alice' }));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.rawMessage).toMatch(/another issuer/);
  });

  test('an ID token issued to another client is refused', async () => {
    const attempt = await browseToCallback(auth, 'substituting', { account: 'alice' }, (url) => url.searchParams.set('client_id', OTHER_CLIENT.client_id));
    const err = await rejectionOf(exchange(auth, attempt));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.rawMessage).toMatch(/another client \(aud\)/);
  });

  test('an e-mail domain outside the allowed ones is refused and audited', async () => {
    const err = await rejectionOf(login(auth, 'corp-domains', { account: 'alice' }));
    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.rawMessage).toMatch(/example\.com is not allowed/);
    const refused = await auth.audit.waitFor('auth.login_failed (email_domain)', (e) => e.action === 'auth.login_failed' && detail(e, 'reason') === 'email_domain' && detail(e, 'provider_id') === 'corp-domains');
    expect(refused.outcome).toBe(Outcome.DENIED);
    // An unverified address in the allowed domain does not pass either.
    expect((await rejectionOf(login(auth, 'corp-domains', { account: 'mallory' }))).code).toBe(Code.PermissionDenied);
    await expect(login(auth, 'corp-domains', { account: 'bob' })).resolves.toMatchObject({ user: { email: 'bob@example.org' } });
  });

  test('MFA required: a login whose amr lacks a second factor is refused as auth.mfa_missing; with one it passes', async () => {
    const err = await rejectionOf(login(auth, 'corp-mfa', { account: 'alice', amr: ['pwd'] }));
    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.rawMessage).toMatch(/multi-factor/);
    const missing = await auth.audit.waitFor('auth.mfa_missing', (e) => e.action === 'auth.mfa_missing' && detail(e, 'provider_id') === 'corp-mfa');
    expect(missing.outcome).toBe(Outcome.DENIED);
    expect(detail(missing, 'amr')).toBe('pwd');

    const ok = await login(auth, 'corp-mfa', { account: 'alice', amr: ['pwd', 'otp'] });
    expect(ok.session?.amr).toEqual(['pwd', 'otp']);
  });

  test('GetAuthorizationUrl: PKCE S256, nonce and state in the URL; bad redirect, unknown or disabled provider refused', async () => {
    const started = await auth.oauth.getAuthorizationUrl({ tenantId: TENANT, providerId: 'corp', redirectUri: REDIRECT_URI, loginHint: 'alice@example.com' });
    const url = new URL(started.authorizationUrl);
    expect(url.origin).toBe(idp.issuer);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code', client_id: 'aegis', redirect_uri: REDIRECT_URI, scope: 'openid email profile', state: started.state,
      code_challenge_method: 'S256', login_hint: 'alice@example.com',
    });
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Number(started.expireTime!.seconds) * 1000 - Date.now()).toBeGreaterThan(9 * 60_000);

    const badRedirect = await rejectionOf(auth.oauth.getAuthorizationUrl({ tenantId: TENANT, providerId: 'corp', redirectUri: 'https://evil.example/cb' }));
    expect(badRedirect.code).toBe(Code.InvalidArgument);
    expect((await rejectionOf(auth.oauth.getAuthorizationUrl({ tenantId: TENANT, providerId: 'nope', redirectUri: REDIRECT_URI }))).code).toBe(Code.NotFound);

    const corp = (await auth.providers.getIdentityProvider({ tenantId: TENANT, providerId: 'corp' })).provider!;
    await auth.providers.updateIdentityProvider({ tenantId: TENANT, provider: { ...corp, enabled: false } });
    try {
      expect((await rejectionOf(auth.oauth.getAuthorizationUrl({ tenantId: TENANT, providerId: 'corp', redirectUri: REDIRECT_URI }))).code).toBe(Code.FailedPrecondition);
    } finally {
      await auth.providers.updateIdentityProvider({ tenantId: TENANT, provider: { ...corp, enabled: true } });
    }
  });

  test('failed exchanges are throttled per client address, before the provider is asked', async () => {
    // Its own address: on Redis the counter is shared by every auth instance (and test run).
    const ipAddress = `2001:db8::${randomBytes(4).toString('hex').replace(/(....)(....)/, '$1:$2')}`;
    for (let i = 0; i < FAILURE_LIMIT; i += 1) {
      const err = await rejectionOf(auth.oauth.exchangeCode({ tenantId: TENANT, state: 'x'.repeat(43), code: 'c', redirectUri: REDIRECT_URI, ipAddress }));
      expect(err.code).toBe(Code.Unauthenticated);
    }
    const attempt = await browseToCallback(auth, 'corp', { account: 'alice' });
    const throttled = await rejectionOf(exchange(auth, attempt, { ipAddress }));
    expect(throttled.code).toBe(Code.ResourceExhausted);
    // Another address is unaffected, and the state was not spent by the throttled call.
    await expect(exchange(auth, attempt)).resolves.toMatchObject({ user: { email: 'alice@example.com' } });
  });
});
