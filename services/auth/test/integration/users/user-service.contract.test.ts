import { ApiKeyInvalidReason } from '@aegis/proto/aegis/auth/v1/api_key_pb.js';
// UserService and TenantService end to end over a real Connect client, on both backend sets
// (PGlite + the embedded log, Postgres + Kafka): validation and Connect codes, pagination, role
// assignment and its guards, the tenant rules, the audit trail, and disabling a user locking
// their API key and access token out of auth within a second.
import { randomBytes } from 'node:crypto';
import { Code } from '@connectrpc/connect';
import { UserStatus, type User } from '@aegis/proto/aegis/auth/v1/user_pb.js';
import { embeddedBackend, externalBackend, startAuth, tempDataDir, type RunningAuth } from '../auth-harness.js';
import { auditEventsAbout, clientsFor, msUntilRefused, rejection, type AuthClients } from './users-harness.js';

const suffix = () => randomBytes(4).toString('hex');

describe.each([embeddedBackend(), externalBackend()])('users and tenants on $name', (backend) => {
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let auth: RunningAuth;
  let admin: AuthClients;

  beforeAll(async () => {
    await backend.setUp();
    dataDir = await tempDataDir();
    auth = await startAuth(backend.env(dataDir.path));
    if (auth.bannerKey === undefined) throw new Error('the first start printed no bootstrap key');
    admin = clientsFor(auth.service.url, auth.bannerKey);
  });
  afterAll(async () => {
    await auth?.stop();
    await dataDir?.remove();
    await backend.tearDown();
  });

  test('without a credential every UserService and TenantService call is Unauthenticated', async () => {
    const anonymous = clientsFor(auth.service.url);
    for (const call of [anonymous.users.getUser({ tenantId: 'default', userId: 'admin' }), anonymous.tenants.listTenants({})]) {
      const err = await rejection(call);
      expect(err.code).toBe(Code.Unauthenticated);
      expect(err.rawMessage).toContain('missing credential');
    }
  });

  test('create, read and update a user; e-mails are unique per tenant, case-insensitively', async () => {
    const email = `Ada.${suffix()}@Example.com`;
    const { user } = await admin.users.createUser({ tenantId: 'default', email, displayName: 'Ada', roles: ['developer', 'ai_analyst'], attributes: { department: 'research', clearance_level: 3 } });
    expect(user).toMatchObject({ tenantId: 'default', email: email.toLowerCase(), displayName: 'Ada', roles: ['developer', 'ai_analyst'], status: UserStatus.ACTIVE, version: 1n });
    expect(user!.userId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(user!.attributes).toEqual({ department: 'research', clearance_level: 3 });

    const dup = await rejection(admin.users.createUser({ tenantId: 'default', email: email.toUpperCase(), displayName: 'Other' }));
    expect(dup.code).toBe(Code.AlreadyExists);
    expect(dup.rawMessage).not.toContain(email.toLowerCase());

    const { user: read } = await admin.users.getUser({ tenantId: 'default', userId: user!.userId });
    expect(read).toEqual(user);

    const { user: updated } = await admin.users.updateUser({ tenantId: 'default', userId: user!.userId, displayName: 'Ada L.', attributes: { department: 'ops' }, expectedVersion: 1n });
    expect(updated).toMatchObject({ displayName: 'Ada L.', attributes: { department: 'ops' }, version: 2n, roles: ['developer', 'ai_analyst'] });
    expect((await rejection(admin.users.updateUser({ tenantId: 'default', userId: user!.userId, displayName: 'x', expectedVersion: 1n }))).code).toBe(Code.Aborted);
    const updates = await auditEventsAbout(auth.running.events, user!.userId, 2, 'user.');
    expect(updates.map((e) => e.action)).toEqual(['user.created', 'user.updated']);
    expect(updates[1]!.actor).toMatchObject({ userId: 'admin' });
    expect(asText(updates.map((e) => e.payload.value))).not.toMatch(/example\.com|research/i);

    expect((await rejection(admin.users.getUser({ tenantId: 'default', userId: '0190e7a0-0000-7000-8000-000000000000' }))).code).toBe(Code.NotFound);
    const bad = await rejection(admin.users.createUser({ tenantId: 'default', email: 'not-an-address' }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.rawMessage).toMatch(/^email: /);
    expect((await rejection(admin.users.createUser({ tenantId: 'default', email: `r${suffix()}@x.test`, roles: ['Admin!'] }))).rawMessage).toMatch(/^roles\[0\]: /);
  });

  test('ListUsers pages by e-mail with opaque tokens bound to the filters', async () => {
    const domain = `page-${suffix()}.test`;
    const made: User[] = [];
    for (const name of ['e', 'b', 'd', 'a', 'c']) {
      made.push((await admin.users.createUser({ tenantId: 'default', email: `${name}@${domain}`, roles: name === 'c' ? ['operator'] : ['viewer'] })).user!);
    }
    const all: User[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await admin.users.listUsers({ tenantId: 'default', pageSize: 2, pageToken });
      expect(page.users.length).toBeLessThanOrEqual(2);
      all.push(...page.users);
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== '' && pages < 100);
    const emails = all.map((u) => u.email);
    expect(emails).toEqual([...emails].sort());
    expect(emails.filter((e) => e.endsWith(domain))).toEqual(['a', 'b', 'c', 'd', 'e'].map((n) => `${n}@${domain}`));
    expect(new Set(all.map((u) => u.userId)).size).toBe(all.length);

    const operators = await admin.users.listUsers({ tenantId: 'default', role: 'operator', pageSize: 1000 });
    expect(operators.users.map((u) => u.email)).toContain(`c@${domain}`);
    expect(operators.users.every((u) => u.roles.includes('operator'))).toBe(true);

    const first = await admin.users.listUsers({ tenantId: 'default', pageSize: 1 });
    const foreign = await rejection(admin.users.listUsers({ tenantId: 'default', role: 'viewer', pageSize: 1, pageToken: first.nextPageToken }));
    expect(foreign.code).toBe(Code.InvalidArgument);
    expect((await rejection(admin.users.listUsers({ tenantId: 'default', pageToken: 'garbage!' }))).code).toBe(Code.InvalidArgument);
    expect((await rejection(admin.users.listUsers({ tenantId: 'default', pageSize: -1 }))).code).toBe(Code.InvalidArgument);

    await admin.users.disableUser({ tenantId: 'default', userId: made[0]!.userId, reason: 'test' });
    const active = await admin.users.listUsers({ tenantId: 'default', pageSize: 1000 });
    expect(active.users.map((u) => u.userId)).not.toContain(made[0]!.userId);
    const everyone = await admin.users.listUsers({ tenantId: 'default', pageSize: 1000, includeDisabled: true });
    expect(everyone.users.find((u) => u.userId === made[0]!.userId)?.status).toBe(UserStatus.DISABLED);
  });

  test('roles: assign and unassign are idempotent; the last active admin is kept', async () => {
    const { user } = await admin.users.createUser({ tenantId: 'default', email: `roles-${suffix()}@x.test`, roles: ['viewer'] });
    const id = user!.userId;
    const assigned = (await admin.users.assignRoles({ tenantId: 'default', userId: id, roles: ['developer', 'viewer', 'custom_role'] })).user!;
    expect(assigned.roles).toEqual(['viewer', 'developer', 'custom_role']);
    expect(assigned.version).toBe(2n);
    const again = (await admin.users.assignRoles({ tenantId: 'default', userId: id, roles: ['developer'] })).user!;
    expect(again.version).toBe(2n);
    const removed = (await admin.users.unassignRoles({ tenantId: 'default', userId: id, roles: ['viewer', 'never_had'] })).user!;
    expect(removed.roles).toEqual(['developer', 'custom_role']);
    expect((await rejection(admin.users.assignRoles({ tenantId: 'default', userId: id, roles: [] }))).code).toBe(Code.InvalidArgument);

    // The bootstrap admin is the only admin of "default".
    const lastAdmin = await rejection(admin.users.unassignRoles({ tenantId: 'default', userId: 'admin', roles: ['admin'] }));
    expect(lastAdmin.code).toBe(Code.FailedPrecondition);
    expect(lastAdmin.rawMessage).toContain('without an active admin');
    expect((await rejection(admin.users.disableUser({ tenantId: 'default', userId: 'admin' }))).code).toBe(Code.FailedPrecondition);

    // A second admin makes the first one removable, and the other way round.
    await admin.users.assignRoles({ tenantId: 'default', userId: id, roles: ['admin'] });
    const demoted = (await admin.users.unassignRoles({ tenantId: 'default', userId: id, roles: ['admin'] })).user!;
    expect(demoted.roles).not.toContain('admin');

    const roleEvents = await auditEventsAbout(auth.running.events, id, 4, 'roles.');
    expect(roleEvents.map((e) => e.action)).toEqual(['roles.assigned', 'roles.unassigned', 'roles.assigned', 'roles.unassigned']);
    expect(roleEvents[0]!.payload.value).toMatchObject({ details: [{ key: 'roles', value: 'developer,custom_role' }] });
  });

  test('a non-admin holding only its own roles can read itself but not administer', async () => {
    const { user } = await admin.users.createUser({ tenantId: 'default', email: `dev-${suffix()}@x.test`, roles: ['developer'] });
    const { tokens } = await admin.tokens.issueToken({ tenantId: 'default', userId: user!.userId });
    const dev = clientsFor(auth.service.url, tokens!.accessToken);
    expect((await dev.users.getUser({ tenantId: 'default', userId: user!.userId })).user?.userId).toBe(user!.userId);
    expect((await rejection(dev.users.getUser({ tenantId: 'default', userId: 'admin' }))).code).toBe(Code.PermissionDenied);
    expect((await rejection(dev.users.createUser({ tenantId: 'default', email: `x-${suffix()}@x.test` }))).code).toBe(Code.PermissionDenied);
    expect((await rejection(dev.users.assignRoles({ tenantId: 'default', userId: user!.userId, roles: ['admin'] }))).code).toBe(Code.PermissionDenied);
    expect((await rejection(dev.tenants.listTenants({}))).code).toBe(Code.PermissionDenied);
  });

  test('disabling a user revokes its API key and locks its access token out within a second; enabling lets new credentials in', async () => {
    const { user } = await admin.users.createUser({ tenantId: 'default', email: `gone-${suffix()}@x.test`, roles: ['developer'] });
    const id = user!.userId;
    const { secret } = await admin.keys.createApiKey({ tenantId: 'default', userId: id, name: 'laptop' });
    const { tokens } = await admin.tokens.issueToken({ tenantId: 'default', userId: id });
    const byKey = clientsFor(auth.service.url, secret);
    const byToken = clientsFor(auth.service.url, tokens!.accessToken);
    await byKey.users.getUser({ tenantId: 'default', userId: id });
    await byToken.users.getUser({ tenantId: 'default', userId: id });

    const disabled = await admin.users.disableUser({ tenantId: 'default', userId: id, reason: 'left the company' });
    expect(disabled.user?.status).toBe(UserStatus.DISABLED);
    const [keyMs, tokenMs] = await Promise.all([
      msUntilRefused(() => byKey.users.getUser({ tenantId: 'default', userId: id }), Code.Unauthenticated),
      msUntilRefused(() => byToken.users.getUser({ tenantId: 'default', userId: id }), Code.Unauthenticated),
    ]);
    expect(keyMs).toBeLessThan(1_000);
    expect(tokenMs).toBeLessThan(1_000);
    expect((await admin.users.disableUser({ tenantId: 'default', userId: id })).user?.version).toBe(disabled.user!.version);
    expect((await rejection(admin.tokens.issueToken({ tenantId: 'default', userId: id }))).code).toBe(Code.FailedPrecondition);

    expect(disabled.revokedApiKeys).toBe(1);

    const enabled = await admin.users.enableUser({ tenantId: 'default', userId: id });
    expect(enabled.user?.status).toBe(UserStatus.ACTIVE);
    // Revoked keys stay revoked (the contract): enabling the user does not bring the key back.
    const verdict = await admin.keys.verifyApiKey({ key: secret });
    expect({ valid: verdict.valid, reason: verdict.reason }).toEqual({ valid: false, reason: ApiKeyInvalidReason.REVOKED });
    expect((await rejection(byKey.users.getUser({ tenantId: 'default', userId: id }))).code).toBe(Code.Unauthenticated);
    // The token issued before the lock-out stays refused; a new one works.
    expect((await rejection(byToken.users.getUser({ tenantId: 'default', userId: id }))).code).toBe(Code.Unauthenticated);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // iat has whole seconds
    const fresh = await admin.tokens.issueToken({ tenantId: 'default', userId: id });
    await clientsFor(auth.service.url, fresh.tokens!.accessToken).users.getUser({ tenantId: 'default', userId: id });

    const actions = (await auditEventsAbout(auth.running.events, id, 3, 'user.')).map((e) => e.action);
    expect(actions).toEqual(['user.created', 'user.disabled', 'user.enabled']);
  });

  test('tenants: created by the platform with a first admin, listed, read, updated with version checks', async () => {
    const tenantId = `t-${suffix()}`;
    const created = await admin.tenants.createTenant({ tenantId, displayName: 'Tenant T', timeZone: 'europe/berlin', adminEmail: `Boss@${tenantId}.test`, businessHours: { weekdays: [5, 1, 2, 3, 4], startMinute: 480, endMinute: 960 } });
    expect(created.tenant).toMatchObject({ tenantId, displayName: 'Tenant T', timeZone: 'Europe/Berlin', disabled: false, version: 1n, businessHours: { weekdays: [1, 2, 3, 4, 5], startMinute: 480, endMinute: 960 } });
    expect(created.adminUserId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await rejection(admin.tenants.createTenant({ tenantId, displayName: 'again', adminEmail: 'a@b.test' }))).code).toBe(Code.AlreadyExists);
    expect((await rejection(admin.tenants.createTenant({ tenantId: 'Bad_Id', displayName: 'x', adminEmail: 'a@b.test' }))).code).toBe(Code.InvalidArgument);
    expect((await rejection(admin.tenants.createTenant({ tenantId: `z-${suffix()}`, displayName: 'x', timeZone: 'Mars/Base', adminEmail: 'a@b.test' }))).code).toBe(Code.InvalidArgument);

    const listed: string[] = [];
    let pageToken = '';
    do {
      const page = await admin.tenants.listTenants({ pageSize: 1, pageToken });
      listed.push(...page.tenants.map((t) => t.tenantId));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(listed).toEqual(expect.arrayContaining(['default', tenantId]));
    expect(listed).toEqual([...listed].sort());

    const { tenant } = await admin.tenants.getTenant({ tenantId: 'default' });
    const { tenant: renamed } = await admin.tenants.updateTenant({ tenantId: 'default', displayName: 'Platform', timeZone: 'UTC', expectedVersion: tenant!.version });
    expect(renamed).toMatchObject({ displayName: 'Platform', version: tenant!.version + 1n });
    expect((await rejection(admin.tenants.updateTenant({ tenantId: 'default', displayName: 'x', expectedVersion: tenant!.version }))).code).toBe(Code.Aborted);
    expect((await rejection(admin.tenants.updateTenant({ tenantId: 'default', displayName: 'x', disabled: true }))).code).toBe(Code.FailedPrecondition);

    const actions = (await auditEventsAbout(auth.running.events, tenantId, 1)).map((e) => e.action);
    expect(actions).toEqual(['tenant.created']);
    const adminEvents = await auditEventsAbout(auth.running.events, created.adminUserId, 1);
    expect(adminEvents.map((e) => e.action)).toEqual(['user.created']);
    expect(asText(adminEvents[0]!.payload.value)).not.toContain(`${tenantId}.test`);
  });
});

/** Everything an event says, as text (audit events carry 64-bit chain sequences: bigint). */
function asText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
