import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { parsePolicyTestFile } from '@aegis/policy-service/policy-tests';
import { BadRequestSchema } from '@aegis/proto/aegis/common/v1/error_details_pb.js';
import { carryOut } from '../../src/commands/policies/apply.js';
import { Effect, PolicySchema } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { ChangeSchema } from '@aegis/proto/aegis/policy/v1/change_pb.js';
import { ResourceLimitsSchema, RoleSchema } from '@aegis/proto/aegis/policy/v1/role_pb.js';
import { inheritanceOrder, planPolicy, planRole, sameJson } from '../../src/commands/policies/apply-plan.js';

// What `policies apply` does with each rule, from the file's version and the stored one.

const stored = (version: bigint) => ({ lastChange: create(ChangeSchema, { version }) });

test('roles: created when absent, unchanged when equal (stored metadata ignored), updated from the version read', () => {
  const draft = create(RoleSchema, { name: 'analyst', permissions: ['agent:read'], inherits: ['viewer'] });
  expect(planRole(draft, undefined, 't1')).toMatchObject({ action: 'create', expectedVersion: 0n });
  const same = create(RoleSchema, { tenantId: 't1', name: 'analyst', permissions: ['agent:read'], inherits: ['viewer'], resourceLimits: create(ResourceLimitsSchema), ...stored(4n) });
  expect(planRole(draft, same, 't1')).toMatchObject({ action: 'unchanged', expectedVersion: 4n });
  const changed = create(RoleSchema, { ...same, permissions: ['agent:read', 'agent:create'] });
  expect(planRole(draft, changed, 't1')).toMatchObject({ action: 'update', expectedVersion: 4n });
  const limits = create(RoleSchema, { ...draft, resourceLimits: create(ResourceLimitsSchema, { maxRequestsPerMinute: 60n }) });
  expect(planRole(limits, same, 't1').action).toBe('update');
  expect(planRole(create(RoleSchema, { name: 'viewer' }), create(RoleSchema, { name: 'viewer', builtin: true }), 't1').action).toBe('builtin');
});

test('policies: a condition equal up to key order is unchanged', () => {
  const draft = create(PolicySchema, { name: 'p', actions: ['read'], effect: Effect.DENY, enabled: true, condition: { 'data.contains_pii': true, 'user.level': { $lt: 3 } } });
  const reordered = create(PolicySchema, { ...draft, tenantId: 't1', condition: { 'user.level': { $lt: 3 }, 'data.contains_pii': true }, ...stored(2n) });
  expect(planPolicy(draft, reordered, 't1')).toMatchObject({ action: 'unchanged' });
  expect(planPolicy(draft, create(PolicySchema, { ...reordered, enabled: false }), 't1')).toMatchObject({ action: 'update', expectedVersion: 2n });
});

test('sameJson compares values, arrays in order', () => {
  expect(sameJson({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
  expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  expect(sameJson({ a: 1 }, { a: 1, b: null })).toBe(false);
});

test('parents are written before the roles inheriting them, otherwise file order', () => {
  const role = (name: string, inherits: string[] = []) => ({ draft: create(RoleSchema, { name, inherits }) });
  const order = inheritanceOrder([role('lead', ['analyst']), role('other'), role('analyst', ['viewer']), role('cyc_a', ['cyc_b']), role('cyc_b', ['cyc_a'])]);
  expect(order.map((r) => r.draft.name)).toEqual(['analyst', 'lead', 'other', 'cyc_b', 'cyc_a']);
});

describe('carrying a step out', () => {
  const file = parsePolicyTestFile('roles.yaml', 'roles:\n  analyst:\n    permissions: [agent:read, "bad one"]\n');
  const item = { draft: file.roles[0]!.draft, path: file.roles[0]!.path, file };
  const step = planRole(item.draft, create(RoleSchema, { name: 'analyst', permissions: ['agent:read'], ...stored(3n) }), 't1');

  test('a concurrent change (Aborted) is a conflict, reported, not overwritten', async () => {
    const outcome = await carryOut(step, item, false, ['role'], async () => {
      throw new ConnectError('expected version 3, found 4', Code.Aborted);
    });
    expect(outcome).toMatchObject({ status: 'conflict', line: 2, error: { code: 'aborted', message: expect.stringContaining('changed while apply ran (someone else wrote it after it was read at version 3)') } });
  });

  test("the server's violations are placed at their line in the file", async () => {
    const outcome = await carryOut(step, item, false, ['role'], async () => {
      throw new ConnectError('role.permissions[1]: malformed', Code.InvalidArgument, undefined, [{ desc: BadRequestSchema, value: { fieldViolations: [{ field: 'role.permissions[1]', description: 'malformed' }] } }]);
    });
    expect(outcome.error!.problems).toEqual([{ file: 'roles.yaml', line: 3, field: 'roles.analyst.permissions[1]', message: 'malformed' }]);
  });

  test('anything else ends the run; a dry run writes nothing', async () => {
    await expect(carryOut(step, item, false, ['role'], async () => { throw new ConnectError('down', Code.Unavailable); })).rejects.toThrow('down');
    expect(await carryOut(step, item, true, ['role'], async () => { throw new Error('must not write'); })).toMatchObject({ status: 'would update' });
  });
});
