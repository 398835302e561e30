import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { AegisError, createLogger, type CredentialEvent } from '@aegis/shared';
import type { UserChange } from '../../../src/users/domain/user-changes.js';
import { isActiveAdmin, type NewUser, type StoredUser } from '../../../src/users/domain/user.js';
import type { UserListQuery, UsersLinks, UserStore } from '../../../src/users/ports.js';
import { UserAccounts } from '../../../src/users/user-accounts.js';

/** Users in a map; modify applies a change the way the Postgres store does (no lock needed here). */
class MemoryUserStore implements UserStore {
  readonly users = new Map<string, StoredUser>();

  async create(user: NewUser): Promise<StoredUser> {
    const now = new Date();
    const stored: StoredUser = { ...user, disabledAt: null, version: 1n, createTime: now, updateTime: now, lastLoginTime: null };
    this.users.set(`${user.tenantId}/${user.id}`, stored);
    return stored;
  }
  async get(tenantId: string, userId: string) { return this.users.get(`${tenantId}/${userId}`); }
  async recordLogin(tenantId: string, userId: string, at: Date) {
    const user = this.users.get(`${tenantId}/${userId}`);
    if (user !== undefined) this.users.set(`${tenantId}/${userId}`, { ...user, lastLoginTime: at });
  }
  async findByEmail(tenantId: string, email: string) { return [...this.users.values()].find((u) => u.tenantId === tenantId && u.email === email); }
  async list(_query: UserListQuery): Promise<StoredUser[]> { return [...this.users.values()]; }
  async idsOfTenant(tenantId: string) { return [...this.users.values()].filter((u) => u.tenantId === tenantId).map((u) => u.id); }
  async modify(tenantId: string, userId: string, change: UserChange) {
    const before = this.users.get(`${tenantId}/${userId}`);
    if (before === undefined) return undefined;
    const others = [...this.users.values()].filter((u) => u.tenantId === tenantId && u.id !== userId && isActiveAdmin(u)).length;
    const patch = change(before, { otherActiveAdmins: others });
    if (patch === null) return { before, after: before };
    const after: StoredUser = {
      ...before,
      ...(patch.displayName !== undefined ? { displayName: patch.displayName } : {}),
      ...(patch.attributes !== undefined ? { attributes: patch.attributes } : {}),
      ...(patch.roles !== undefined ? { roles: patch.roles } : {}),
      ...(patch.disabled !== undefined ? { disabledAt: patch.disabled ? new Date() : null } : {}),
      version: before.version + 1n,
    };
    this.users.set(`${tenantId}/${userId}`, after);
    return { before, after };
  }
}

function setUp() {
  const store = new MemoryUserStore();
  const credentialEvents: CredentialEvent[] = [];
  const audit: Event[] = [];
  const invalidated: string[] = [];
  const failures = { events: false, audit: false };
  const links: UsersLinks = {
    invalidations: [{
      async invalidateUser(tenantId, userId) {
        invalidated.push(`keys:${tenantId}/${userId}`);
        return { revokedApiKeys: 2 };
      },
    }],
  };
  const accounts = new UserAccounts({
    store,
    links,
    credentialEvents: { publish: async (event) => { if (failures.events) throw new Error('redis down'); credentialEvents.push(event); } },
    publisher: { publish: async (...events) => { if (failures.audit) throw new Error('kafka down'); audit.push(...events); } },
    logger: createLogger({ service: 'test', level: 'silent' }),
  });
  return { store, accounts, links, credentialEvents, audit, invalidated, failures };
}

const actor = { id: 'admin' };

async function user(accounts: UserAccounts, roles = ['developer'], tenantId = 'acme') {
  return accounts.create(actor, { tenantId, email: `${Math.random()}@x.test`, displayName: '', roles, attributes: {} });
}

describe('UserAccounts', () => {
  test('disable announces the lock-out, runs every module\'s invalidation and audits once', async () => {
    const t = setUp();
    const u = await user(t.accounts);
    t.links.invalidations = [...t.links.invalidations, {
      // Added after construction, as definition.ts does for the SSO module.
      async invalidateUser(tenantId, userId) { t.invalidated.push(`sessions:${tenantId}/${userId}`); return { revokedSessions: 3 }; },
    }];
    const { user: disabled, counts } = await t.accounts.disable(actor, 'acme', u.id, 'left');
    expect(disabled.disabledAt).not.toBeNull();
    expect(counts).toEqual({ revokedApiKeys: 2, revokedSessions: 3 });
    expect(t.credentialEvents).toEqual([{ kind: 'user', tenantId: 'acme', userId: u.id, at: expect.any(Number) }]);
    expect(t.invalidated).toEqual([`keys:acme/${u.id}`, `sessions:acme/${u.id}`]);

    // A retry does the invalidation again (a previous attempt may have stopped half-way) but
    // changes and audits nothing.
    const again = await t.accounts.disable(actor, 'acme', u.id, 'left');
    expect(again.user.version).toBe(disabled.version);
    expect(t.credentialEvents).toHaveLength(2);
    expect(t.invalidated).toHaveLength(4);
    expect(t.audit.map((e) => e.action)).toEqual(['user.created', 'user.disabled']);
    expect(t.audit[1]!.payload.value).toMatchObject({ details: [{ key: 'reason', value: 'left' }, { key: 'revoked_api_keys', value: '2' }, { key: 'revoked_sessions', value: '3' }] });
  });

  test('when the lock-out cannot be announced the call fails (retry), though the user stays disabled', async () => {
    const t = setUp();
    const u = await user(t.accounts);
    t.failures.events = true;
    const err = await t.accounts.disable(actor, 'acme', u.id, '').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AegisError);
    expect((err as AegisError).kind).toBe('unavailable');
    expect((err as AegisError).message).not.toContain('redis');
    expect((await t.store.get('acme', u.id))!.disabledAt).not.toBeNull();
    expect(t.invalidated).toEqual([]);
  });

  test('an audit event that cannot be published does not undo or fail the change', async () => {
    const t = setUp();
    const u = await user(t.accounts);
    t.failures.audit = true;
    await expect(t.accounts.assignRoles(actor, 'acme', u.id, ['viewer'])).resolves.toMatchObject({ roles: ['developer', 'viewer'] });
  });

  test('losing a role ends the user\'s live tokens everywhere; gaining one does not need to', async () => {
    const t = setUp();
    const u = await user(t.accounts, ['developer', 'viewer']);
    await t.accounts.assignRoles(actor, 'acme', u.id, ['operator']);
    expect(t.credentialEvents).toEqual([]);
    await t.accounts.unassignRoles(actor, 'acme', u.id, ['viewer', 'absent']);
    expect(t.credentialEvents).toEqual([{ kind: 'user', tenantId: 'acme', userId: u.id, at: expect.any(Number) }]);
    await t.accounts.unassignRoles(actor, 'acme', u.id, ['absent']);
    expect(t.credentialEvents).toHaveLength(1);
    expect(t.audit.map((e) => e.action)).toEqual(['user.created', 'roles.assigned', 'roles.unassigned']);
  });

  test('a missing user is NotFound for every change', async () => {
    const t = setUp();
    for (const call of [
      t.accounts.disable(actor, 'acme', 'nobody', ''),
      t.accounts.enable(actor, 'acme', 'nobody'),
      t.accounts.assignRoles(actor, 'acme', 'nobody', ['viewer']),
      t.accounts.update(actor, 'acme', 'nobody', { displayName: '', attributes: {}, expectedVersion: 0n }),
      t.accounts.get('acme', 'nobody'),
    ]) {
      await expect(call).rejects.toMatchObject({ kind: 'not_found' });
    }
  });

  test('locking a tenant out treats each of its users like a disabled one, and no one else', async () => {
    const t = setUp();
    const a = await user(t.accounts, ['admin']);
    const b = await user(t.accounts);
    const elsewhere = await user(t.accounts, ['developer'], 'globex');
    await t.accounts.lockOutTenant('acme');
    expect(t.credentialEvents.map((e) => (e.kind === 'user' ? e.userId : ''))).toEqual([a.id, b.id]);
    expect(t.invalidated).toEqual([`keys:acme/${a.id}`, `keys:acme/${b.id}`]);
    expect(t.invalidated.join()).not.toContain(elsewhere.id);
  });
});
