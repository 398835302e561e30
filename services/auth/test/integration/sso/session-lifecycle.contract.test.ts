// Sessions opened by SSO logins, end to end on both backend sets: the tenant's session policy,
// the concurrent-session limit (evict the oldest, or refuse the new login), logout and admin
// revocation (tokens of the session stop working), self-service versus admin access, paging,
// and the end of every session when the user is disabled.

import { Code, ConnectError } from '@connectrpc/connect';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { IdentityProviderKind } from '@aegis/proto/aegis/auth/v1/identity_provider_pb.js';
import { SessionLimitAction, SessionStatus } from '@aegis/proto/aegis/auth/v1/session_pb.js';
import { Outcome } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { startTestOidcProvider, type TestOidcProvider } from './test-oidc-provider.js';
import { detail, embeddedSsoBackend, externalSsoBackend, login, REDIRECT_URI, resourceId, startSsoAuth, tempDataDir, TENANT, type SsoAuth } from './sso-harness.js';

const CLIENT = { client_id: 'aegis', client_secret: 'aegis-client-secret-1', redirect_uris: [REDIRECT_URI] };
const people = ['dave', 'erin', 'frank', 'grace', 'heidi', 'ivan'] as const;
const ACCOUNTS = Object.fromEntries(people.map((p) => [p, { email: `${p}@example.com`, email_verified: true, name: p }]));

async function rejectionOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('expected the call to fail');
}

describe.each([embeddedSsoBackend(), externalSsoBackend()])('sessions on $name', (backend) => {
  let idp: TestOidcProvider;
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let auth: SsoAuth;

  const setPolicy = async (maxConcurrentSessions: number, limitAction: SessionLimitAction) => {
    const current = (await auth.sessions.getSessionPolicy({ tenantId: TENANT })).policy!;
    return (await auth.sessions.updateSessionPolicy({
      tenantId: TENANT,
      policy: { sessionTimeout: durationFromMs(2 * 3_600_000), maxConcurrentSessions, limitAction },
      expectedVersion: current.version,
    })).policy!;
  };

  beforeAll(async () => {
    await backend.setUp();
    idp = await startTestOidcProvider({ clients: [CLIENT], accounts: ACCOUNTS });
    dataDir = await tempDataDir();
    auth = await startSsoAuth(backend.env(dataDir.path));
    await auth.providers.createIdentityProvider({
      tenantId: TENANT,
      provider: { providerId: 'corp', kind: IdentityProviderKind.OIDC, displayName: 'Corp', issuerUrl: idp.issuer, clientId: CLIENT.client_id, enabled: true },
      clientSecret: CLIENT.client_secret,
    });
  });

  afterAll(async () => {
    await auth?.stop();
    await idp?.close();
    await dataDir?.remove();
    await backend.tearDown();
  });

  test('the session policy: defaults, validation, optimistic concurrency', async () => {
    const defaults = (await auth.sessions.getSessionPolicy({ tenantId: TENANT })).policy!;
    expect(defaults).toMatchObject({ tenantId: TENANT, maxConcurrentSessions: 0, limitAction: SessionLimitAction.EVICT_OLDEST, version: 0n });
    expect(defaults.sessionTimeout?.seconds).toBe(3600n);

    const tooShort = await rejectionOf(auth.sessions.updateSessionPolicy({ tenantId: TENANT, policy: { sessionTimeout: durationFromMs(60_000) } }));
    expect(tooShort.code).toBe(Code.InvalidArgument);
    expect(tooShort.rawMessage).toMatch(/policy\.session_timeout/);
    expect((await rejectionOf(auth.sessions.updateSessionPolicy({ tenantId: TENANT, policy: { maxConcurrentSessions: -1 } }))).code).toBe(Code.InvalidArgument);

    const saved = await setPolicy(0, SessionLimitAction.EVICT_OLDEST);
    expect(saved.version).toBe(1n);
    expect(saved.sessionTimeout?.seconds).toBe(7200n);
    const stale = await rejectionOf(auth.sessions.updateSessionPolicy({ tenantId: TENANT, policy: { maxConcurrentSessions: 3 }, expectedVersion: 7n }));
    expect(stale.code).toBe(Code.Aborted);

    // The new timeout applies to the next login.
    const s = (await login(auth, 'corp', { account: 'ivan' })).session!;
    expect(Number(s.expireTime!.seconds - s.createTime!.seconds)).toBe(7200);
  });

  test('EVICT_OLDEST: the login at the limit ends the oldest session, audited; its refresh token stops working', async () => {
    await setPolicy(2, SessionLimitAction.EVICT_OLDEST);
    try {
      const first = await login(auth, 'corp', { account: 'dave' });
      const second = await login(auth, 'corp', { account: 'dave' });
      expect(second.evictedSessionIds).toEqual([]);
      const third = await login(auth, 'corp', { account: 'dave' });
      expect(third.evictedSessionIds).toEqual([first.session!.sessionId]);

      const evicted = (await auth.sessions.getSession({ tenantId: TENANT, sessionId: first.session!.sessionId })).session!;
      expect(evicted.status).toBe(SessionStatus.EVICTED);
      expect(evicted.endTime).toBeDefined();
      expect((await auth.sessions.getSession({ tenantId: TENANT, sessionId: second.session!.sessionId })).session?.status).toBe(SessionStatus.ACTIVE);

      const refused = await rejectionOf(auth.tokens.refreshToken({ tenantId: TENANT, refreshToken: first.tokens!.refreshToken }));
      expect(refused.code).toBe(Code.Unauthenticated);
      await expect(auth.tokens.refreshToken({ tenantId: TENANT, refreshToken: third.tokens!.refreshToken })).resolves.toBeDefined();

      const audit = await auth.audit.waitFor('session.evicted', (e) => e.action === 'session.evicted' && resourceId(e) === first.session!.sessionId);
      expect(audit.outcome).toBe(Outcome.SUCCESS);
      expect(detail(audit, 'user_id')).toBe(first.user!.userId);
    } finally {
      await setPolicy(0, SessionLimitAction.EVICT_OLDEST);
    }
  });

  test('REFUSE_NEW: a login beyond the limit is ResourceExhausted and audited; existing sessions stay', async () => {
    await setPolicy(1, SessionLimitAction.REFUSE_NEW);
    try {
      const first = await login(auth, 'corp', { account: 'erin' });
      const refused = await rejectionOf(login(auth, 'corp', { account: 'erin' }));
      expect(refused.code).toBe(Code.ResourceExhausted);
      expect(refused.rawMessage).toMatch(/1 active session/);
      const audit = await auth.audit.waitFor('auth.login_failed (session_limit)', (e) => e.action === 'auth.login_failed' && detail(e, 'reason') === 'session_limit' && e.actor?.userId === first.user!.userId);
      expect(audit.outcome).toBe(Outcome.DENIED);
      const list = await auth.sessions.listSessions({ tenantId: TENANT, userId: first.user!.userId });
      expect(list.sessions.map((s) => s.sessionId)).toEqual([first.session!.sessionId]);

      // Logging out makes room.
      await auth.sessionsAs(first.tokens!.accessToken).revokeSession({ tenantId: TENANT, sessionId: first.session!.sessionId });
      await expect(login(auth, 'corp', { account: 'erin' })).resolves.toMatchObject({ evictedSessionIds: [] });
    } finally {
      await setPolicy(0, SessionLimitAction.EVICT_OLDEST);
    }
  });

  test('logout: the owner revokes its session; tokens of the session are refused; repeating is harmless', async () => {
    const frank = await login(auth, 'corp', { account: 'frank' });
    const sessionId = frank.session!.sessionId;
    const asFrank = auth.sessionsAs(frank.tokens!.accessToken);
    const revoked = (await asFrank.revokeSession({ tenantId: TENANT, sessionId })).session!;
    expect(revoked.status).toBe(SessionStatus.REVOKED);
    expect(revoked.endTime).toBeDefined();

    expect((await rejectionOf(auth.tokens.refreshToken({ tenantId: TENANT, refreshToken: frank.tokens!.refreshToken }))).code).toBe(Code.Unauthenticated);
    // The access token carries the session id: every service refuses it from now on.
    await waitUntil(async () => (await rejectionOf(asFrank.getSession({ tenantId: TENANT, sessionId }))).code === Code.Unauthenticated, 'the access token of a revoked session is refused');

    const again = (await auth.sessions.revokeSession({ tenantId: TENANT, sessionId })).session!;
    expect(again.status).toBe(SessionStatus.REVOKED);
    expect(again.endTime).toEqual(revoked.endTime);

    const audit = await auth.audit.waitFor('session.revoked', (e) => e.action === 'session.revoked' && resourceId(e) === sessionId);
    expect(audit.actor?.userId).toBe(frank.user!.userId);
    expect(auth.audit.events.filter((e) => e.action === 'session.revoked' && resourceId(e) === sessionId)).toHaveLength(1);
  });

  test('users read and end only their own sessions; admins any', async () => {
    const grace = await login(auth, 'corp', { account: 'grace' });
    const heidi = await login(auth, 'corp', { account: 'heidi' });
    const asHeidi = auth.sessionsAs(heidi.tokens!.accessToken);
    const sessionId = grace.session!.sessionId;

    expect((await rejectionOf(asHeidi.getSession({ tenantId: TENANT, sessionId }))).code).toBe(Code.PermissionDenied);
    expect((await rejectionOf(asHeidi.revokeSession({ tenantId: TENANT, sessionId }))).code).toBe(Code.PermissionDenied);
    expect((await rejectionOf(asHeidi.listSessions({ tenantId: TENANT, userId: grace.user!.userId }))).code).toBe(Code.PermissionDenied);
    expect((await rejectionOf(asHeidi.listSessions({ tenantId: TENANT }))).code).toBe(Code.PermissionDenied);
    const own = await asHeidi.listSessions({ tenantId: TENANT, userId: heidi.user!.userId });
    expect(own.sessions.map((s) => s.sessionId)).toEqual([heidi.session!.sessionId]);

    expect((await auth.sessions.getSession({ tenantId: TENANT, sessionId })).session?.userId).toBe(grace.user!.userId);
    expect((await rejectionOf(auth.sessions.getSession({ tenantId: TENANT, sessionId: '0190e7a4-5b1c-7d2e-9f10-3a4b5c6d7e8f' }))).code).toBe(Code.NotFound);
    expect((await rejectionOf(auth.sessions.getSession({ tenantId: TENANT, sessionId: 'not-a-uuid' }))).code).toBe(Code.InvalidArgument);
    expect((await auth.sessions.revokeSession({ tenantId: TENANT, sessionId })).session?.status).toBe(SessionStatus.REVOKED);
  });

  test('ListSessions pages newest first; ended sessions only with include_ended', async () => {
    const logins = [];
    for (let i = 0; i < 3; i += 1) logins.push(await login(auth, 'corp', { account: 'ivan' }));
    const userId = logins[0]!.user!.userId;
    await auth.sessions.revokeSession({ tenantId: TENANT, sessionId: logins[1]!.session!.sessionId });

    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await auth.sessions.listSessions({ tenantId: TENANT, userId, includeEnded: true, pageSize: 2, pageToken });
      expect(page.sessions.length).toBeLessThanOrEqual(2);
      seen.push(...page.sessions.map((s) => s.sessionId));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    const ids = logins.map((l) => l.session!.sessionId).reverse();
    expect(seen.slice(0, 3)).toEqual(ids);

    const live = await auth.sessions.listSessions({ tenantId: TENANT, userId });
    expect(live.sessions.map((s) => s.sessionId)).not.toContain(logins[1]!.session!.sessionId);
    expect(live.sessions.every((s) => s.status === SessionStatus.ACTIVE)).toBe(true);

    const first = await auth.sessions.listSessions({ tenantId: TENANT, userId, includeEnded: true, pageSize: 1 });
    const foreign = await rejectionOf(auth.sessions.listSessions({ tenantId: TENANT, includeEnded: true, pageSize: 1, pageToken: first.nextPageToken }));
    expect(foreign.code).toBe(Code.InvalidArgument);
    expect((await rejectionOf(auth.sessions.listSessions({ tenantId: TENANT, pageSize: -1 }))).code).toBe(Code.InvalidArgument);
  });

  test('disabling a user ends all of their sessions (CredentialInvalidation)', async () => {
    const one = await login(auth, 'corp', { account: 'dave' });
    const two = await login(auth, 'corp', { account: 'dave' });
    await auth.users.disableUser({ tenantId: TENANT, userId: one.user!.userId, reason: 'left the company' });
    for (const l of [one, two]) {
      expect((await auth.sessions.getSession({ tenantId: TENANT, sessionId: l.session!.sessionId })).session?.status).toBe(SessionStatus.REVOKED);
    }
    // And the provider cannot log them back in.
    const again = await rejectionOf(login(auth, 'corp', { account: 'dave' }));
    expect(again.code).toBe(Code.PermissionDenied);
    expect(again.rawMessage).toMatch(/disabled/);
  });
});

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
