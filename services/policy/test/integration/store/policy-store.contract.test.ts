// The durable store's contract, on PGlite and on a real Postgres server alike: CRUD,
// versions and revision history with their authors, optimistic concurrency, pagination,
// soft deletion, the tenant policy version, snapshots and the change notification.

import { equals } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { ChangeKind } from '@aegis/proto/aegis/policy/v1/change_pb.js';
import { Effect, PolicySchema } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { RoleSchema } from '@aegis/proto/aegis/policy/v1/role_pb.js';
import { isAegisError, type ErrorKind } from '@aegis/shared';
import type { TestDatabase } from '@aegis/shared/testing';
import { POLICY_CHANGED_CHANNEL, PostgresPolicyStore } from '../../../src/store/index.js';
import { analystRole, backends, piiPolicy, waitUntil } from './store-harness.js';

async function failureKind(call: Promise<unknown>): Promise<ErrorKind> {
  try {
    await call;
  } catch (err) {
    if (isAegisError(err)) return err.kind;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe.each(backends)('PolicyStore on $name', (backend) => {
  let db: TestDatabase;
  let store: PostgresPolicyStore;

  beforeAll(async () => {
    db = await backend.open();
    store = new PostgresPolicyStore(db);
  });
  afterAll(async () => {
    await db?.close();
  });

  test('a created role reads back field for field, with tenant, version 1 and its author', async () => {
    const before = Date.now();
    const created = await store.createRole('t-crud', analystRole('ai_analyst', { tenantId: 'ignored-other' }), { changedBy: 'user-1' });
    expect(created.tenantId).toBe('t-crud');
    expect(created.lastChange).toMatchObject({ version: 1n, revision: 1n, kind: ChangeKind.CREATED, changedBy: 'user-1' });
    expect(timestampDate(created.lastChange!.changeTime!).getTime()).toBeGreaterThanOrEqual(before - 5_000);

    const read = await store.getRole('t-crud', 'ai_analyst');
    expect(read).toBeDefined();
    expect(equals(RoleSchema, read!, created)).toBe(true);
    expect(read!.resourceLimits?.maxExecutionTime).toMatchObject({ seconds: 90n, nanos: 500_000_000 });
    expect(read!.resourceLimits?.custom).toEqual({ max_files: 12n });
    expect(await store.getRole('t-other', 'ai_analyst')).toBeUndefined();
  });

  test('a policy keeps its condition, actions, effect and enabled flag', async () => {
    const created = await store.createPolicy('t-crud', piiPolicy('pii_access_restriction', { enabled: false }), { changedBy: 'key-7' });
    const read = await store.getPolicy('t-crud', 'pii_access_restriction');
    expect(equals(PolicySchema, read!, created)).toBe(true);
    expect(read).toMatchObject({ tenantId: 't-crud', effect: Effect.DENY, enabled: false, actions: ['data:read', 'export'] });
    expect(read!.condition).toEqual({
      'data.contains_pii': true, 'user.clearance_level': { $lt: 'confidential' }, 'request.ip': { $in: ['10.0.0.1', null] },
    });
    // Roles and policies are separate name spaces, and every change bumps the tenant version.
    expect(read!.lastChange).toMatchObject({ version: 1n, revision: 2n, changedBy: 'key-7' });
  });

  test('creating an existing name is AlreadyExists and changes nothing', async () => {
    await store.createRole('t-dup', analystRole('dup'), { changedBy: 'a' });
    expect(await failureKind(store.createRole('t-dup', analystRole('dup', { description: 'second' }), { changedBy: 'b' }))).toBe('already_exists');
    expect((await store.getRole('t-dup', 'dup'))!.description).toBe('Runs analyses on approved models');
    expect((await store.loadSnapshot('t-dup')).policyVersion).toBe(1n);
  });

  test('updates bump the version, keep every revision with its author, and check expected_version', async () => {
    const tenant = 't-update';
    await store.createRole(tenant, analystRole('senior_analyst'), { changedBy: 'alice' });
    const v2 = await store.updateRole(tenant, analystRole('senior_analyst', { permissions: ['*'] }), { changedBy: 'bob', expectedVersion: 1n });
    expect(v2.lastChange).toMatchObject({ version: 2n, revision: 2n, kind: ChangeKind.UPDATED, changedBy: 'bob' });
    expect(v2.permissions).toEqual(['*']);

    // A writer that read version 1 lost the race.
    expect(await failureKind(store.updateRole(tenant, analystRole('senior_analyst'), { changedBy: 'carol', expectedVersion: 1n }))).toBe('aborted');
    expect(await failureKind(store.deleteRole(tenant, 'senior_analyst', { changedBy: 'carol', expectedVersion: 5n }))).toBe('aborted');
    // 0 skips the check.
    const v3 = await store.updateRole(tenant, analystRole('senior_analyst', { modelAccess: ['*'] }), { changedBy: 'dave', expectedVersion: 0n });
    expect(v3.lastChange?.version).toBe(3n);
    expect((await store.loadSnapshot(tenant)).policyVersion).toBe(3n);

    const { items, nextPageToken } = await store.listRoleRevisions(tenant, 'senior_analyst');
    expect(nextPageToken).toBe('');
    expect(items.map((r) => [r.change?.version, r.change?.kind, r.change?.changedBy])).toEqual([
      [3n, ChangeKind.UPDATED, 'dave'],
      [2n, ChangeKind.UPDATED, 'bob'],
      [1n, ChangeKind.CREATED, 'alice'],
    ]);
    expect(items[1]!.role?.permissions).toEqual(['*']);
    expect(items[2]!.role?.permissions).toEqual(['agent:read', 'agent:execute', 'data:read']);
    expect(items[0]!.role?.lastChange?.version).toBe(3n);
  });

  test('update and delete of a name that does not exist are NotFound; revisions of a never-existing name too', async () => {
    expect(await failureKind(store.updatePolicy('t-missing', piiPolicy('ghost'), { changedBy: 'x' }))).toBe('not_found');
    expect(await failureKind(store.deletePolicy('t-missing', 'ghost', { changedBy: 'x' }))).toBe('not_found');
    expect(await failureKind(store.listPolicyRevisions('t-missing', 'ghost'))).toBe('not_found');
    // Failed writes roll back their version bump.
    expect((await store.loadSnapshot('t-missing')).policyVersion).toBe(0n);
  });

  test('deletion is soft: the name disappears, its history stays, and re-creation continues the versions', async () => {
    const tenant = 't-delete';
    await store.createPolicy(tenant, piiPolicy('temp'), { changedBy: 'alice' });
    const { revision } = await store.deletePolicy(tenant, 'temp', { changedBy: 'bob', expectedVersion: 1n });
    expect(revision).toBe(2n);
    expect(await store.getPolicy(tenant, 'temp')).toBeUndefined();
    expect((await store.listPolicies(tenant)).items).toEqual([]);
    expect(await failureKind(store.updatePolicy(tenant, piiPolicy('temp'), { changedBy: 'c' }))).toBe('not_found');
    expect(await failureKind(store.deletePolicy(tenant, 'temp', { changedBy: 'c' }))).toBe('not_found');

    const revived = await store.createPolicy(tenant, piiPolicy('temp', { effect: Effect.ALLOW }), { changedBy: 'carol' });
    expect(revived.lastChange).toMatchObject({ version: 3n, revision: 3n, kind: ChangeKind.CREATED });
    const history = (await store.listPolicyRevisions(tenant, 'temp')).items;
    expect(history.map((r) => [r.change?.version, r.change?.kind, r.change?.changedBy])).toEqual([
      [3n, ChangeKind.CREATED, 'carol'],
      [2n, ChangeKind.DELETED, 'bob'],
      [1n, ChangeKind.CREATED, 'alice'],
    ]);
    // The deletion revision keeps the last content.
    expect(history[1]!.policy?.effect).toBe(Effect.DENY);
    const rows = await db.query<{ deleted: boolean }>(`SELECT deleted FROM policies WHERE tenant_id = $1 AND name = 'temp'`, [tenant]);
    expect(rows.rows).toEqual([{ deleted: false }]);
  });

  test('a role another role inherits cannot be deleted', async () => {
    const tenant = 't-inherit';
    await store.createRole(tenant, analystRole('base'), { changedBy: 'a' });
    await store.createRole(tenant, analystRole('child', { inherits: ['base'] }), { changedBy: 'a' });
    expect(await failureKind(store.deleteRole(tenant, 'base', { changedBy: 'a' }))).toBe('failed_precondition');
    await store.updateRole(tenant, analystRole('child', { inherits: [] }), { changedBy: 'a' });
    await store.deleteRole(tenant, 'base', { changedBy: 'a' });
    expect(await store.getRole(tenant, 'base')).toBeUndefined();
  });

  test('listings page by name with tokens bound to their listing', async () => {
    const tenant = 't-pages';
    const names = Array.from({ length: 7 }, (_, i) => `role_${String(i).padStart(2, '0')}`);
    for (const name of [...names].reverse()) await store.createRole(tenant, analystRole(name), { changedBy: 'a' });
    await store.deleteRole(tenant, 'role_03', { changedBy: 'a' });

    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await store.listRoles(tenant, { pageSize: 2, pageToken: token });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((role) => role.name));
      token = page.nextPageToken;
      pages += 1;
    } while (token !== '');
    expect(seen).toEqual(names.filter((name) => name !== 'role_03'));
    expect(pages).toBe(3);

    const first = await store.listRoles(tenant, { pageSize: 2 });
    expect(await failureKind(store.listRoles('t-other', { pageToken: first.nextPageToken }))).toBe('invalid_argument');
    expect(await failureKind(store.listPolicies(tenant, { pageToken: first.nextPageToken }))).toBe('invalid_argument');
    expect(await failureKind(store.listRoles(tenant, { pageToken: 'not-a-token' }))).toBe('invalid_argument');
    expect(await failureKind(store.listRoles(tenant, { pageSize: -1 }))).toBe('invalid_argument');
    expect((await store.listRoles(tenant, { pageSize: 0 })).items).toHaveLength(6);
  });

  test('revision listings page newest first', async () => {
    const tenant = 't-revision-pages';
    await store.createPolicy(tenant, piiPolicy('p'), { changedBy: 'v1' });
    for (let i = 2; i <= 5; i += 1) await store.updatePolicy(tenant, piiPolicy('p', { description: `v${i}` }), { changedBy: `v${i}` });
    const first = await store.listPolicyRevisions(tenant, 'p', { pageSize: 3 });
    expect(first.items.map((r) => r.change?.version)).toEqual([5n, 4n, 3n]);
    const second = await store.listPolicyRevisions(tenant, 'p', { pageSize: 3, pageToken: first.nextPageToken });
    expect(second.items.map((r) => r.change?.changedBy)).toEqual(['v2', 'v1']);
    expect(second.nextPageToken).toBe('');
    expect(await failureKind(store.listRoleRevisions(tenant, 'p', { pageToken: first.nextPageToken }))).toBe('invalid_argument');
  });

  test('snapshots hold the live roles and policies of their tenant at its policy version', async () => {
    await store.createRole('t-snap-a', analystRole('r1'), { changedBy: 'a' });
    await store.createRole('t-snap-a', analystRole('r2'), { changedBy: 'a' });
    await store.createPolicy('t-snap-a', piiPolicy('p1'), { changedBy: 'a' });
    await store.deleteRole('t-snap-a', 'r1', { changedBy: 'a' });
    await store.createPolicy('t-snap-b', piiPolicy('p1'), { changedBy: 'b' });

    const a = await store.loadSnapshot('t-snap-a');
    expect(a.policyVersion).toBe(4n);
    expect(a.roles.map((role) => role.name)).toEqual(['r2']);
    expect(a.policies.map((policy) => [policy.tenantId, policy.name])).toEqual([['t-snap-a', 'p1']]);
    expect(Object.isFrozen(a.roles)).toBe(true);

    const empty = await store.loadSnapshot('t-never');
    expect(empty).toMatchObject({ tenantId: 't-never', policyVersion: 0n, roles: [], policies: [] });

    const all = new Map((await store.loadAllSnapshots()).map((snapshot) => [snapshot.tenantId, snapshot]));
    expect(all.get('t-snap-a')?.policyVersion).toBe(4n);
    expect(all.get('t-snap-b')?.policies.map((policy) => policy.tenantId)).toEqual(['t-snap-b']);
    const versions = await store.policyVersions();
    expect(versions.get('t-snap-b')).toBe(1n);
    expect(versions.has('t-never')).toBe(false);
  });

  test('every committed change announces <tenant>:<version> on policy_changed; a failed one announces nothing', async () => {
    const received: string[] = [];
    const unlisten = await db.listen(POLICY_CHANGED_CHANNEL, (payload) => received.push(payload));
    try {
      await store.createRole('t:notify', analystRole('n'), { changedBy: 'a' });
      await store.updateRole('t:notify', analystRole('n'), { changedBy: 'a' });
      await failureKind(store.updateRole('t:notify', analystRole('n'), { changedBy: 'a', expectedVersion: 1n }));
      await waitUntil(() => received.length >= 2, 2_000, 'two notifications');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(received).toEqual(['t:notify:1', 't:notify:2']);
    } finally {
      await unlisten();
    }
  });

  test('concurrent writers of one tenant each get a distinct policy version, and conditional updates let exactly one win', async () => {
    const tenant = 't-race';
    await store.createPolicy(tenant, piiPolicy('contended'), { changedBy: 'a' });
    const creations = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.createRole(tenant, analystRole(`racer_${i}`), { changedBy: `w${i}` })),
    );
    const revisions = creations.map((role) => role.lastChange!.revision).sort((x, y) => Number(x - y));
    expect(revisions).toEqual([2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);

    const outcomes = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => store.updatePolicy(tenant, piiPolicy('contended', { description: `w${i}` }), { changedBy: `w${i}`, expectedVersion: 1n })),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(isAegisError(outcome.reason) && outcome.reason.kind).toBe('aborted');
    }
    expect((await store.getPolicy(tenant, 'contended'))!.lastChange?.version).toBe(2n);
  });
});
