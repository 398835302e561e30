import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { formatProblem, parsePolicyTestFile, type PolicyTestFile } from '../../../src/policy-tests/index.js';

// The YAML test-file format: drafts in the JSON form of Role/Policy (listed or keyed by name),
// tests in the JSON form of PolicyTestCase plus expect/now/time, and problems that name the
// file, the line and the field.

const parse = (text: string): PolicyTestFile => parsePolicyTestFile('rules.yaml', text);
const problemsOf = (text: string) => parse(text).problems.map(formatProblem);

function accepted(text: string): PolicyTestFile {
  const file = parse(text);
  expect(file.problems).toEqual([]);
  return file;
}

describe('drafts', () => {
  test('roles keyed by name (Kaizen) or listed (JSON form), in snake_case or camelCase', () => {
    const file = accepted(`
roles:
  ai_analyst:
    permissions: [agent:create]
    model_access: [gpt-4]
    resource_limits: { max_tokens_per_day: 100000, max_execution_time: 90s, custom: { gpu_minutes: "30" } }
policies: []
tests: []
`);
    expect(file.roles).toHaveLength(1);
    expect(file.roles[0]?.path).toEqual(['roles', 'ai_analyst']);
    expect(file.roles[0]?.draft).toMatchObject({ name: 'ai_analyst', permissions: ['agent:create'], modelAccess: ['gpt-4'] });
    const limits = file.roles[0]?.draft.resourceLimits;
    expect(limits?.maxTokensPerDay).toBe(100_000n);
    expect(limits?.maxConcurrentAgents).toBeUndefined();
    expect(limits?.maxExecutionTime?.seconds).toBe(90n);
    expect(limits?.custom).toEqual({ gpu_minutes: 30n });

    const listed = accepted(`
roles:
  - name: lead
    modelAccess: ["*"]
    inherits: [ai_analyst]
    resourceLimits: { maxConcurrentAgents: 20 }
`);
    expect(listed.roles[0]?.path).toEqual(['roles', 0]);
    expect(listed.roles[0]?.draft).toMatchObject({ name: 'lead', modelAccess: ['*'], inherits: ['ai_analyst'] });
    expect(listed.roles[0]?.draft.resourceLimits?.maxConcurrentAgents).toBe(20n);
  });

  test('policies: effect in either spelling, enabled unless said otherwise, the condition kept as written', () => {
    const file = accepted(`
policies:
  - name: pii_access_restriction
    condition:
      data.contains_pii: true
      user.clearance_level: { $lt: confidential }
    actions: ["*"]
    effect: deny
  - name: off
    condition: {}
    actions: [read]
    effect: EFFECT_ALLOW
    enabled: false
`);
    expect(file.policies.map((p) => [p.draft.name, p.draft.effect, p.draft.enabled])).toEqual([
      ['pii_access_restriction', Effect.DENY, true],
      ['off', Effect.ALLOW, false],
    ]);
    expect(file.policies[0]?.draft.condition).toEqual({ 'data.contains_pii': true, 'user.clearance_level': { $lt: 'confidential' } });
  });

  test('shape problems name the line and the field', () => {
    expect(problemsOf(`
roles:
  analyst:
    name: other
    permissions: agent:create
    model_acess: [gpt-4]
    resource_limits: { max_tokens_per_day: lots, max_execution_time: 90 }
policies:
  - name: p
    condition: [a]
    effect: permit
`)).toEqual([
      'rules.yaml:4: roles.analyst.name: must equal the key "analyst" (or be left out)',
      'rules.yaml:5: roles.analyst.permissions: must be a list of strings',
      'rules.yaml:6: roles.analyst.model_acess: unknown field (expected name, tenant_id, description, permissions, model_access, resource_limits, inherits)',
      'rules.yaml:7: roles.analyst.resource_limits.max_tokens_per_day: must be a whole number',
      'rules.yaml:7: roles.analyst.resource_limits.max_execution_time: must be a duration in seconds, e.g. "90s"',
      'rules.yaml:10: policies[0].condition: must be a mapping',
      'rules.yaml:11: policies[0].effect: must be allow or deny',
    ]);
  });
});

describe('tests', () => {
  test('an entry becomes a PolicyTestCase; expect is a shorthand or a mapping of further checks', () => {
    const file = accepted(`
tests:
  - name: analyst creates
    principal: { id: key-1, user_id: alice, roles: [ai_analyst], scopes: ["agent:*"], attributes: { department: finance } }
    action: create
    resource: { kind: agent, id: a1, attributes: { contains_pii: false } }
    model: gpt-4
    request_ip: 10.0.0.1
    context: { channel: api }
    expect: allow
  - name: JSON form
    principal: { roles: [viewer] }
    action: delete
    resource: { kind: agent }
    expectedEffect: EFFECT_DENY
  - name: detailed
    principal: { roles: [viewer] }
    action: read
    resource: { kind: agent }
    expect:
      effect: allow
      reason: role_permission
      matched_role: viewer
      matched_policies: some_policy
      explanation_contains: grants
`);
    const [first, second, third] = file.tests;
    expect(first?.testCase).toMatchObject({
      name: 'analyst creates',
      principal: { id: 'key-1', userId: 'alice', roles: ['ai_analyst'], scopes: ['agent:*'], attributes: { department: 'finance' } },
      action: 'create',
      resource: { kind: 'agent', id: 'a1', attributes: { contains_pii: false } },
      model: 'gpt-4',
      requestIp: '10.0.0.1',
      context: { channel: 'api' },
      expectedEffect: Effect.ALLOW,
    });
    expect(first?.expectation).toEqual({ effect: 'allow' });
    expect(first?.path).toEqual(['tests', 0]);
    expect(second?.testCase.expectedEffect).toBe(Effect.DENY);
    expect(third?.expectation).toEqual({ effect: 'allow', reason: 'role_permission', matchedRole: 'viewer', matchedPolicies: ['some_policy'], explanationContains: 'grants' });
  });

  test('now pins time.* in the file working week; a test may move it, and time/context.time win per attribute', () => {
    const file = accepted(`
business_hours: { time_zone: Europe/Berlin, weekdays: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" }
now: 2024-03-13T07:30:00Z
tests:
  - { name: file now, principal: {}, action: read, resource: { kind: a }, expect: deny }
  - { name: own now, now: "2024-03-13T10:00:00+01:00", principal: {}, action: read, resource: { kind: a }, expect: deny }
  - { name: overridden, time: { business_hours: true }, context: { time: { hour: 3 }, x: 1 }, principal: {}, action: read, resource: { kind: a }, expect: deny }
`);
    expect(file.tests[0]?.testCase.context).toEqual({ time: { business_hours: false, hour: 8, minute: 30, weekday: 'wednesday' } });
    expect(file.tests[1]?.testCase.context).toEqual({ time: { business_hours: true, hour: 10, minute: 0, weekday: 'wednesday' } });
    expect(file.tests[2]?.testCase.context).toEqual({ x: 1, time: { business_hours: true, hour: 3, minute: 30, weekday: 'wednesday' } });
  });

  test('without business_hours, now is read in Monday-Friday 09:00-17:00 UTC; without now, time is not pinned', () => {
    const file = accepted(`
now: 2024-03-13T08:30:00Z
tests:
  - { name: a, principal: {}, action: read, resource: { kind: a }, expect: deny }
`);
    expect(file.tests[0]?.testCase.context).toEqual({ time: { business_hours: false, hour: 8, minute: 30, weekday: 'wednesday' } });
    const unpinned = accepted('tests:\n  - { name: a, principal: {}, action: read, resource: { kind: a }, expect: deny }\n');
    expect(unpinned.tests[0]?.testCase.context).toBeUndefined();
  });

  test('problems in tests name the line and the field', () => {
    expect(problemsOf(`
now: 2024-03-13T10:00:00
business_hours: { time_zone: Mars/Olympus, start: "9am", weekdays: [0] }
tests:
  - name: a
    principal: { roles: admin, role: [x] }
    action: read
    resource: { kind: agent, attributes: [1] }
    expect: maybe
  - name: b
    principal: {}
    action: read
    resource: { kind: agent }
    expect: allow
    expected_effect: EFFECT_ALLOW
  - name: c
    principal: {}
    action: read
    resource: { kind: agent }
    expect: { effect: allow, reason: allowed, explanation: x }
  - name: d
    principal: {}
    action: read
    resource: { kind: agent }
`)).toEqual([
      'rules.yaml:2: now: must be an ISO 8601 instant with an offset, e.g. 2024-03-13T10:00:00Z',
      'rules.yaml:3: business_hours.start: must be a time of day "HH:MM", e.g. "09:00"',
      'rules.yaml:3: business_hours.time_zone: "Mars/Olympus" is not an IANA time zone',
      'rules.yaml:3: business_hours.weekdays[0]: must be an ISO weekday, 1 (Monday) to 7 (Sunday)',
      'rules.yaml:6: tests[0].principal.role: unknown field (expected id, user_id, tenant_id, roles, scopes, attributes)',
      'rules.yaml:6: tests[0].principal.roles: must be a list of strings',
      'rules.yaml:8: tests[0].resource.attributes: must be a mapping',
      'rules.yaml:9: tests[0].expect: must be allow or deny',
      'rules.yaml:15: tests[1].expected_effect: give either expect or expected_effect, not both',
      'rules.yaml:20: tests[2].expect.explanation: unknown field (expected effect, reason, matched_policies, matched_role, explanation_contains)',
      'rules.yaml:20: tests[2].expect.reason: must be one of role_permission, policy_allow, policy_deny, no_match, model_not_allowed, scope_excluded',
      'rules.yaml:21: tests[3]: expect is required (allow or deny)',
    ]);
  });
});

describe('the file', () => {
  test('tenant, and every section optional', () => {
    expect(accepted('tenant: acme\n').tenant).toBe('acme');
    const rolesOnly = accepted('roles: { r: { permissions: [agent:read] } }\n');
    expect([rolesOnly.tenant, rolesOnly.roles.length, rolesOnly.policies.length, rolesOnly.tests.length]).toEqual([undefined, 1, 0, 0]);
  });

  test.each([
    ['a YAML syntax error, with its line', 'tests:\n  - name: [a\n', /^rules\.yaml:3: /],
    ['a duplicate key', 'tenant: a\ntenant: b\n', /^rules\.yaml:2: Map keys must be unique$/],
    ['several documents', 'tenant: a\n---\ntenant: b\n', /^rules\.yaml:2: Source contains multiple documents/],
    ['an empty file', '# nothing\n', /^rules\.yaml: the file is empty/],
    ['an unknown top-level field', 'tenant: a\ntest: []\n', /^rules\.yaml:2: test: unknown field \(expected tenant, now, business_hours, roles, policies, tests\)$/],
    ['a list at the top', '- a\n', /^rules\.yaml:1: must be a mapping$/],
    ['a value JSON cannot hold', 'tests:\n  - { name: a, principal: { attributes: { x: .inf } }, action: r, resource: { kind: a }, expect: deny }\n', /^rules\.yaml:2: tests\[0\]\.principal\.attributes\.x: must be a finite number$/],
  ])('%s is a problem', (_label, text, problem) => {
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });
});
