import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { DecisionReason } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import { Effect, PolicySchema, type Policy } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { PolicyTestCaseSchema, type PolicyTestCase } from '@aegis/proto/aegis/policy/v1/policy_test_service_pb.js';
import { RoleSchema, type Role } from '@aegis/proto/aegis/policy/v1/role_pb.js';
import { MAX_CASES, NO_STORED_RULES, runPolicyTests, type PolicyTestRun, type StoredRules } from '../../../src/policy-tests/index.js';

// The runner behind RunPolicyTests and the offline CLI: stored rules overlaid with drafts,
// validation naming request fields, and cases judged by effect.

const TENANT = 'acme';
// Wednesday 13 March 2024, 10:00 UTC: inside the default working week (Mon-Fri 09-17 UTC).
const WEDNESDAY_10_UTC = Date.parse('2024-03-13T10:00:00Z');
const SATURDAY = Date.parse('2024-03-16T10:00:00Z');

const role = (init: MessageInitShape<typeof RoleSchema>): Role => create(RoleSchema, init);
const policy = (init: MessageInitShape<typeof PolicySchema>): Policy => create(PolicySchema, { enabled: true, ...init });
const testCase = (init: Omit<MessageInitShape<typeof PolicyTestCaseSchema>, '$typeName'> & { roles?: string[]; user?: Record<string, unknown> }): PolicyTestCase => {
  const { roles, user, ...rest } = init;
  return create(PolicyTestCaseSchema, {
    name: 'case',
    principal: { id: 'u1', roles: roles ?? [], attributes: (user ?? {}) as never },
    action: 'create',
    resource: { kind: 'agent' },
    expectedEffect: Effect.ALLOW,
    ...rest,
  });
};
const run = (fields: Partial<PolicyTestRun>): PolicyTestRun => ({ tenantId: TENANT, cases: [], draftRoles: [], draftPolicies: [], ignoreStored: false, ...fields });

const stored: StoredRules = {
  revision: 12,
  roles: [role({ name: 'analyst', permissions: ['agent:create', 'workflow:read'], modelAccess: ['gpt-4'] })],
  policies: [policy({ name: 'no_pii', condition: { 'data.contains_pii': true }, actions: ['*'], effect: Effect.DENY })],
};

function ran(runFields: Partial<PolicyTestRun>, rules: StoredRules = stored, now = WEDNESDAY_10_UTC) {
  const outcome = runPolicyTests(run(runFields), rules, now);
  if (outcome.violations !== undefined) throw new Error(`rejected: ${JSON.stringify(outcome.violations)}`);
  return outcome.response;
}

function violations(runFields: Partial<PolicyTestRun>, rules: StoredRules = stored) {
  const outcome = runPolicyTests(run(runFields), rules, WEDNESDAY_10_UTC);
  if (outcome.violations === undefined) throw new Error('the run was accepted');
  return outcome.violations;
}

describe('the rules under test', () => {
  test('stored roles and policies decide, and results come in request order with counts', () => {
    const response = ran({
      cases: [
        testCase({ name: 'analyst creates', roles: ['analyst'] }),
        testCase({ name: 'analyst deletes', roles: ['analyst'], action: 'delete', expectedEffect: Effect.DENY }),
        testCase({ name: 'pii', roles: ['analyst'], resource: { kind: 'agent', attributes: { contains_pii: true } } }),
      ],
    });
    expect(response.results.map((r) => [r.name, r.passed])).toEqual([['analyst creates', true], ['analyst deletes', true], ['pii', false]]);
    expect(response.results[2]?.decision).toMatchObject({ effect: Effect.DENY, reason: DecisionReason.POLICY_DENY, matchedPolicies: ['no_pii'] });
    expect([response.passedCount, response.failedCount]).toEqual([2, 1]);
    expect(response.results[0]?.decision?.revision).toBe(12n);
    expect(response.results[0]?.decision?.obligations?.allowedModels).toEqual(['gpt-4']);
  });

  test('a draft replaces the stored role or policy of its name', () => {
    const response = ran({
      draftRoles: [role({ name: 'analyst', permissions: ['workflow:read'] })],
      draftPolicies: [policy({ name: 'no_pii', condition: { 'data.contains_pii': true }, actions: ['*'], effect: Effect.DENY, enabled: false })],
      cases: [
        testCase({ name: 'create no longer granted', roles: ['analyst'], expectedEffect: Effect.DENY }),
        testCase({ name: 'pii deny disabled', roles: ['analyst'], action: 'read', resource: { kind: 'workflow', attributes: { contains_pii: true } } }),
      ],
    });
    expect(response.results.every((r) => r.passed)).toBe(true);
    expect(response.results[0]?.decision?.reason).toBe(DecisionReason.NO_MATCH);
  });

  test('drafts of new names are added beside the stored rules, and may inherit stored roles', () => {
    const response = ran({
      draftRoles: [role({ name: 'lead', inherits: ['analyst'], permissions: ['team:manage'] })],
      cases: [
        testCase({ name: 'inherited', roles: ['lead'] }),
        testCase({ name: 'own', roles: ['lead'], action: 'manage', resource: { kind: 'team' } }),
        testCase({ name: 'stored deny still applies', roles: ['lead'], resource: { kind: 'agent', attributes: { contains_pii: true } }, expectedEffect: Effect.DENY }),
      ],
    });
    expect(response.results.map((r) => r.passed)).toEqual([true, true, true]);
    expect(response.results[0]?.decision?.explanation).toContain('inherited from analyst');
  });

  test('ignore_stored tests the drafts and the built-in roles alone', () => {
    const response = ran({
      ignoreStored: true,
      cases: [
        testCase({ name: 'stored role gone', roles: ['analyst'], expectedEffect: Effect.DENY }),
        testCase({ name: 'stored deny gone', roles: ['developer'], action: 'read', resource: { kind: 'agent', attributes: { contains_pii: true } } }),
      ],
    });
    expect(response.results.map((r) => r.passed)).toEqual([true, true]);
    expect(response.results[0]?.decision?.revision).toBe(0n);
  });

  test('without a stored rule that a draft inherits, ignore_stored rejects the draft', () => {
    const found = violations({ ignoreStored: true, draftRoles: [role({ name: 'lead', inherits: ['analyst'] })], cases: [testCase({})] });
    expect(found).toEqual([{ field: 'draft_roles[0].inherits[0]', description: 'unknown role "analyst"' }]);
  });
});

describe('time', () => {
  const hoursPolicy = policy({ name: 'office_hours', condition: { 'time.business_hours': true }, actions: ['agent:create'], effect: Effect.ALLOW });

  test('unpinned time reads the clock at `now`, in the tenant working week', () => {
    const cases = [testCase({ name: 'create' })];
    expect(ran({ draftPolicies: [hoursPolicy], cases }, NO_STORED_RULES, WEDNESDAY_10_UTC).results[0]?.passed).toBe(true);
    expect(ran({ draftPolicies: [hoursPolicy], cases }, NO_STORED_RULES, SATURDAY).results[0]?.passed).toBe(false);
    // 10:00 UTC is 19:00 in Tokyo: outside that tenant's hours.
    const tokyo: StoredRules = { ...NO_STORED_RULES, businessHours: { timeZone: 'Asia/Tokyo', weekdays: [1, 2, 3, 4, 5], startMinute: 540, endMinute: 1020 } };
    expect(ran({ draftPolicies: [hoursPolicy], cases }, tokyo, WEDNESDAY_10_UTC).results[0]?.passed).toBe(false);
    expect(ran({ draftPolicies: [hoursPolicy], cases, ignoreStored: true }, tokyo, WEDNESDAY_10_UTC).results[0]?.passed).toBe(false);
  });

  test('a case pins time.* through context.time, whatever the clock says', () => {
    const response = ran({
      draftPolicies: [hoursPolicy],
      cases: [
        testCase({ name: 'pinned open', context: { time: { business_hours: true } } }),
        testCase({ name: 'pinned closed', context: { time: { business_hours: false } }, expectedEffect: Effect.DENY }),
      ],
    }, NO_STORED_RULES, SATURDAY);
    expect(response.results.map((r) => r.passed)).toEqual([true, true]);
  });
});

describe('validation names the request field', () => {
  test.each<[string, Partial<PolicyTestRun>, string, RegExp]>([
    ['an invalid draft policy', { draftPolicies: [policy({ name: 'p', condition: { 'user.level': { $below: 1 } }, actions: ['read'], effect: Effect.DENY })] }, 'draft_policies[0].condition.user.level.$below', /unknown operator/],
    ['a draft policy without effect', { draftPolicies: [policy({ name: 'p', actions: ['read'] })] }, 'draft_policies[0].effect', /allow or deny/],
    ['an invalid draft permission', { draftRoles: [role({ name: 'r', permissions: ['agent'] })] }, 'draft_roles[0].permissions[0]', /not a permission/],
    ['a draft of a built-in role', { draftRoles: [role({ name: 'viewer', permissions: ['*'] })] }, 'draft_roles[0].name', /built-in/],
    ['a draft of another tenant', { draftRoles: [role({ name: 'r', tenantId: 'other' })] }, 'draft_roles[0].tenant_id', /equal tenant_id/],
    ['a name drafted twice', { draftPolicies: [policy({ name: 'p', actions: ['read'], effect: Effect.DENY }), policy({ name: 'p', actions: ['read'], effect: Effect.DENY })] }, 'draft_policies[1].name', /already drafted by draft_policies\[0\]/],
    ['an inheritance cycle among drafts', { draftRoles: [role({ name: 'boss', inherits: ['lead'] }), role({ name: 'lead', inherits: ['boss'] })] }, 'draft_roles[0].inherits[0]', /cycle/],
  ])('%s', (_label, fields, field, description) => {
    const found = violations({ cases: [testCase({})], ...fields });
    expect(found[0]?.field).toBe(field);
    expect(found[0]?.description).toMatch(description);
  });

  test.each<[string, PolicyTestCase, string]>([
    ['principal of another tenant', testCase({ principal: { tenantId: 'other', roles: [] } }), 'cases[1].principal.tenant_id'],
    ['no principal', create(PolicyTestCaseSchema, { name: 'x', action: 'read', resource: { kind: 'agent' }, expectedEffect: Effect.DENY }), 'cases[1].principal'],
    ['no name', testCase({ name: ' ' }), 'cases[1].name'],
    ['no action', testCase({ action: '' }), 'cases[1].action'],
    ['no resource kind', testCase({ resource: { kind: '' } }), 'cases[1].resource.kind'],
    ['no expected effect', testCase({ expectedEffect: Effect.UNSPECIFIED }), 'cases[1].expected_effect'],
    ['a misspelt pinned time attribute', testCase({ context: { time: { bussiness_hours: true } } }), 'cases[1].context.time.bussiness_hours'],
    ['a pinned hour out of range', testCase({ context: { time: { hour: 24 } } }), 'cases[1].context.time.hour'],
    ['a pinned weekday that is no day', testCase({ context: { time: { weekday: 'Monday' } } }), 'cases[1].context.time.weekday'],
    ['a pinned time that is no object', testCase({ context: { time: true } }), 'cases[1].context.time'],
  ])('a case with %s', (_label, bad, field) => {
    expect(violations({ cases: [testCase({}), bad] }).map((v) => v.field)).toEqual([field]);
  });

  test('a principal with an empty tenant acts in the run tenant', () => {
    expect(ran({ cases: [testCase({ roles: ['analyst'], principal: { tenantId: '', roles: ['analyst'] } })] }).results[0]?.passed).toBe(true);
  });

  test('a run holds 1-10000 cases', () => {
    expect(violations({ cases: [] })).toEqual([{ field: 'cases', description: 'must hold 1-10000 cases' }]);
    const many = Array.from({ length: MAX_CASES + 1 }, () => testCase({}));
    expect(violations({ cases: many }).map((v) => v.field)).toEqual(['cases']);
    expect(ran({ cases: many.slice(1) }).results).toHaveLength(MAX_CASES);
  });

  test('drafts and cases are reported together, at most 50 violations', () => {
    const bad = Array.from({ length: 80 }, (_, i) => testCase({ name: `c${i}`, action: '' }));
    const found = violations({ draftRoles: [role({ name: 'r', permissions: ['x'] })], cases: bad });
    expect(found).toHaveLength(50);
    expect(found[0]?.field).toBe('draft_roles[0].permissions[0]');
    expect(found[49]?.description).toMatch(/and 31 more violations/);
  });

  test('a stored rule the engine no longer accepts is reported as stored', () => {
    const broken: StoredRules = { ...stored, roles: [role({ name: 'old', permissions: ['NOT VALID'] })] };
    const found = violations({ cases: [testCase({})] }, broken);
    expect(found[0]?.field).toBe('roles[old].permissions[0]');
    expect(found[0]?.description).toMatch(/^stored role old: .*ignore_stored/);
    expect(runPolicyTests(run({ cases: [testCase({ expectedEffect: Effect.DENY })], ignoreStored: true }), broken, 0).response?.passedCount).toBe(1);
  });
});
