// The policy service over HTTP, started with auth in one process (PGlite, embedded event
// log), called with auth's bootstrap admin key: RBAC and ABAC decisions through Check and
// CheckBatch, role and policy administration, and hot reload of what the admin RPCs write.
import { Code } from '@connectrpc/connect';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { BadRequestSchema } from '@aegis/proto/aegis/common/v1/error_details_pb.js';
import { DecisionReason } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { principal, rejection, startPolicy, TENANT, type RunningPolicy } from './policy-service-harness.js';

let service: RunningPolicy;

beforeAll(async () => {
  service = await startPolicy();
});

afterAll(async () => {
  await service?.stop();
});

const check = (roles: string[], kind: string, action: string, extra: { user?: Record<string, unknown>; data?: Record<string, unknown>; model?: string } = {}) =>
  service.admin.decisions.check({
    tenantId: TENANT,
    principal: principal(roles, extra.user === undefined ? {} : { attributes: extra.user as never }),
    action,
    resource: { kind, attributes: (extra.data ?? {}) as never },
    model: extra.model ?? '',
  }).then((r) => r.decision!);

describe('Check: the plan\'s role matrix', () => {
  test.each([
    ['developer', 'agent', 'create', Effect.ALLOW],
    ['viewer', 'agent', 'create', Effect.DENY],
    ['viewer', 'workflow', 'read', Effect.ALLOW],
    ['operator', 'workflow', 'execute', Effect.ALLOW],
    ['operator', 'workflow', 'delete', Effect.DENY],
    ['developer', 'memory', 'delete', Effect.DENY],
    ['admin', 'memory', 'delete', Effect.ALLOW],
  ])('%s on %s:%s', async (role, kind, action, effect) => {
    const decision = await check([role], kind, action);
    expect(decision.effect).toBe(effect);
    expect(decision.permission).toBe(`${kind}:${action}`);
    if (effect === Effect.ALLOW) {
      expect(decision.reason).toBe(DecisionReason.ROLE_PERMISSION);
      expect(decision.matchedRole).toBe(role);
    } else {
      expect(decision.reason).toBe(DecisionReason.NO_MATCH);
    }
  });

  test('CheckBatch answers each item separately, in order', async () => {
    const { decisions } = await service.admin.decisions.checkBatch({
      tenantId: TENANT,
      principal: principal(['viewer']),
      items: [
        { action: 'read', resource: { kind: 'agent' } },
        { action: 'create', resource: { kind: 'agent' } },
        { action: 'read', resource: { kind: 'tool' } },
      ],
    });
    expect(decisions.map((d) => [d.permission, d.effect])).toEqual([
      ['agent:read', Effect.ALLOW],
      ['agent:create', Effect.DENY],
      ['tool:read', Effect.ALLOW],
    ]);
  });

  test('invalid input is InvalidArgument naming the field', async () => {
    const noAction = await rejection(service.admin.decisions.check({ tenantId: TENANT, principal: principal(['viewer']), resource: { kind: 'agent' } }));
    expect(noAction.code).toBe(Code.InvalidArgument);
    expect(noAction.rawMessage).toMatch(/^action: /);
    const otherTenant = await rejection(service.admin.decisions.check({ tenantId: TENANT, principal: principal(['viewer'], { tenantId: 'acme' }), action: 'read', resource: { kind: 'agent' } }));
    expect(otherTenant.code).toBe(Code.InvalidArgument);
    expect(otherTenant.rawMessage).toMatch(/^principal\.tenant_id: /);
    const badItem = await rejection(service.admin.decisions.checkBatch({
      tenantId: TENANT,
      principal: principal(['viewer']),
      items: [{ action: 'read', resource: { kind: 'agent' } }, { action: '', resource: { kind: 'agent' } }],
    }));
    expect(badItem.code).toBe(Code.InvalidArgument);
    expect(badItem.rawMessage).toMatch(/^items\[1\]\.action: /);
  });

  test('a call without a credential is Unauthenticated', async () => {
    const err = await rejection(service.clients().decisions.check({ tenantId: TENANT, principal: principal(['viewer']), action: 'read', resource: { kind: 'agent' } }));
    expect(err.code).toBe(Code.Unauthenticated);
  });
});

describe('custom roles', () => {
  test('inheritance and resource limits come back as obligations; ListPermissions expands them', async () => {
    await service.admin.roles.createRole({
      tenantId: TENANT,
      role: {
        name: 'ai_analyst',
        permissions: ['data:read', 'workflow:read'],
        modelAccess: ['gpt-4o'],
        resourceLimits: { maxTokensPerDay: 100_000n, maxConcurrentAgents: 2n, maxExecutionTime: durationFromMs(60_000) },
      },
    });
    await service.admin.roles.createRole({
      tenantId: TENANT,
      role: { name: 'senior_analyst', permissions: ['agent:execute'], modelAccess: ['claude-3-5-sonnet'], resourceLimits: { maxConcurrentAgents: 5n }, inherits: ['ai_analyst'] },
    });
    const decision = await waitFor(() => check(['senior_analyst'], 'workflow', 'read'), (d) => d.effect === Effect.ALLOW);
    expect(decision.reason).toBe(DecisionReason.ROLE_PERMISSION);
    expect(decision.matchedRole).toBe('senior_analyst');
    expect(decision.explanation).toContain('ai_analyst');
    expect(decision.obligations?.allowedModels).toEqual(['claude-3-5-sonnet', 'gpt-4o']);
    expect(decision.obligations?.resourceLimits?.maxTokensPerDay).toBe(100_000n);
    expect(decision.obligations?.resourceLimits?.maxConcurrentAgents).toBe(5n);
    expect(decision.obligations?.resourceLimits?.maxExecutionTime?.seconds).toBe(60n);

    expect((await check(['senior_analyst'], 'agent', 'create')).effect).toBe(Effect.DENY);
    const wrongModel = await check(['senior_analyst'], 'data', 'read', { model: 'gpt-3.5' });
    expect(wrongModel.reason).toBe(DecisionReason.MODEL_NOT_ALLOWED);

    const listing = await service.admin.decisions.listPermissions({ tenantId: TENANT, subject: { case: 'role', value: 'senior_analyst' } });
    expect(listing.roles).toEqual(['ai_analyst', 'senior_analyst']);
    expect(listing.permissions).toEqual(['agent:execute', 'data:read', 'workflow:read']);
    expect(listing.allowedModels).toEqual(['claude-3-5-sonnet', 'gpt-4o']);
    const missing = await rejection(service.admin.decisions.listPermissions({ tenantId: TENANT, subject: { case: 'role', value: 'nobody' } }));
    expect(missing.code).toBe(Code.NotFound);
  });

  test('ListRoles includes the built-in roles, which are read-only', async () => {
    const { roles } = await service.admin.roles.listRoles({ tenantId: TENANT });
    const names = roles.map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['admin', 'developer', 'operator', 'viewer']));
    expect(names).toEqual([...names].sort());
    expect(roles.find((r) => r.name === 'admin')).toMatchObject({ builtin: true, permissions: ['*'] });
    const update = await rejection(service.admin.roles.updateRole({ tenantId: TENANT, role: { name: 'viewer', permissions: ['*'] } }));
    expect(update.code).toBe(Code.FailedPrecondition);
    const remove = await rejection(service.admin.roles.deleteRole({ tenantId: TENANT, name: 'admin' }));
    expect(remove.code).toBe(Code.FailedPrecondition);
  });

  test('an invalid role is InvalidArgument naming the field', async () => {
    const err = await rejection(service.admin.roles.createRole({ tenantId: TENANT, role: { name: 'broken', permissions: ['agent:read'], inherits: ['no_such_role'] } }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/^role\.inherits\[0\]: /);
  });

  test('hot reload: a role created through RoleService is reflected by Check within 1 s', async () => {
    expect((await check(['releaser'], 'workflow', 'delete')).effect).toBe(Effect.DENY);
    await service.admin.roles.createRole({ tenantId: TENANT, role: { name: 'releaser', permissions: ['workflow:*'] } });
    const createdAt = Date.now();
    const decision = await waitFor(() => check(['releaser'], 'workflow', 'delete'), (d) => d.effect === Effect.ALLOW);
    expect(Date.now() - createdAt).toBeLessThan(1_000);
    expect(decision.matchedRole).toBe('releaser');
  });
});

describe('ABAC policies', () => {
  test('the Kaizen PII policy denies below confidential clearance, deny overriding the role', async () => {
    const { policy } = await service.admin.policies.createPolicy({
      tenantId: TENANT,
      policy: {
        name: 'pii_access_restriction',
        condition: { 'data.contains_pii': true, 'user.clearance_level': { $lt: 'confidential' } },
        actions: ['read'],
        effect: Effect.DENY,
        enabled: true,
      },
    });
    expect(policy?.lastChange?.version).toBe(1n);
    const pii = { contains_pii: true };
    const denied = await waitFor(() => check(['developer'], 'agent', 'read', { user: { clearance_level: 'internal' }, data: pii }), (d) => d.effect === Effect.DENY);
    expect(denied.reason).toBe(DecisionReason.POLICY_DENY);
    expect(denied.matchedPolicies).toEqual(['pii_access_restriction']);
    expect(denied.explanation).toContain('pii_access_restriction');

    const cleared = await check(['developer'], 'agent', 'read', { user: { clearance_level: 'confidential' }, data: pii });
    expect(cleared.effect).toBe(Effect.ALLOW);
    expect(cleared.reason).toBe(DecisionReason.ROLE_PERMISSION);
    const noPii = await check(['developer'], 'agent', 'read', { user: { clearance_level: 'public' }, data: { contains_pii: false } });
    expect(noPii.effect).toBe(Effect.ALLOW);
  });

  test('an invalid policy is rejected with InvalidArgument naming the field', async () => {
    const err = await rejection(service.admin.policies.createPolicy({
      tenantId: TENANT,
      policy: { name: 'bad_operator', condition: { 'user.clearance_level': { $below: 'confidential' } }, actions: ['read'], effect: Effect.DENY, enabled: true },
    }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/^policy\.condition\.user\.clearance_level\.\$below: /);
    // The same, machine-readable: a BadRequest detail naming each offending field.
    const twoProblems = await rejection(service.admin.policies.createPolicy({
      tenantId: TENANT,
      policy: { name: 'two_problems', condition: { 'user.a': { $below: 1 } }, actions: ['read', ''], effect: Effect.DENY, enabled: true },
    }));
    const fields = twoProblems.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
    expect(fields).toEqual(expect.arrayContaining(['policy.condition.user.a.$below']));
    expect(fields.length).toBeGreaterThanOrEqual(2);
    const noEffect = await rejection(service.admin.policies.createPolicy({ tenantId: TENANT, policy: { name: 'no_effect', condition: {}, actions: ['read'], enabled: true } }));
    expect(noEffect.rawMessage).toMatch(/^policy\.effect: /);
    const missing = await rejection(service.admin.policies.getPolicy({ tenantId: TENANT, name: 'bad_operator' }));
    expect(missing.code).toBe(Code.NotFound);

    const { valid, violations } = await service.admin.policies.validatePolicy({ tenantId: TENANT, policy: { name: 'x', condition: { 'nowhere.x': 1 }, actions: ['read'], effect: Effect.ALLOW } });
    expect(valid).toBe(false);
    expect(violations[0]?.field).toMatch(/^policy\.condition\.nowhere/);
  });
});

/** Calls until `done` holds (hot reload is asynchronous), for at most 2 s. */
async function waitFor<T>(call: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    const value = await call();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
