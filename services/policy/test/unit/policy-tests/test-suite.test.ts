import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { DecisionReason, DecisionSchema } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import {
  assembleSuite,
  formatProblem,
  NO_STORED_RULES,
  parsePolicyTestFile,
  runPolicyTests,
  unmetExpectations,
  type PolicyTestSuite,
} from '../../../src/policy-tests/index.js';

// Files read as one bundle, violations of the run placed back in the files, expectations
// beyond the effect, and the examples in examples/policies, which must all pass.

const NOW = Date.parse('2024-03-13T10:00:00Z');
const test1 = (name: string, extra = '') => `  - { name: ${name}, principal: { roles: [viewer] }, action: read, resource: { kind: agent }, expect: allow${extra} }\n`;

function suiteOf(files: Record<string, string>, opts: Parameters<typeof assembleSuite>[1] = { defaultTenant: 'default' }) {
  return assembleSuite(Object.entries(files).map(([name, text]) => parsePolicyTestFile(name, text)), opts);
}

function assembled(files: Record<string, string>, opts?: Parameters<typeof assembleSuite>[1]): PolicyTestSuite {
  const { suite, problems } = suiteOf(files, opts);
  expect(problems.map(formatProblem)).toEqual([]);
  return suite!;
}

describe('a bundle of files', () => {
  test('drafts of every file, tests of every file, in file order', () => {
    const suite = assembled({
      'roles.yaml': 'tenant: acme\nroles: { analyst: { permissions: [agent:create] } }\n',
      'a.test.yaml': `tests:\n${test1('one')}${test1('two')}`,
      'b.test.yaml': `tenant: acme\ntests:\n${test1('three')}`,
    });
    expect(suite.run.tenantId).toBe('acme');
    expect(suite.run.draftRoles.map((r) => r.name)).toEqual(['analyst']);
    expect(suite.cases.map((c) => [c.file, c.name, c.line])).toEqual([['a.test.yaml', 'one', 2], ['a.test.yaml', 'two', 3], ['b.test.yaml', 'three', 3]]);
    expect(suite.run.cases.map((c) => c.name)).toEqual(['one', 'two', 'three']);
  });

  test('the tenant: the files must agree, --tenant overrides, and a server run needs one', () => {
    const files = { 'a.yaml': `tenant: acme\ntests:\n${test1('a')}`, 'b.yaml': 'tenant: globex\n' };
    expect(suiteOf(files).problems.map(formatProblem)).toEqual(['b.yaml:1: tenant: "globex" differs from "acme" in a.yaml (pass --tenant to choose)']);
    expect(assembled(files, { tenant: 'initech' }).run.tenantId).toBe('initech');
    expect(assembled({ 'a.yaml': `tests:\n${test1('a')}` }).run.tenantId).toBe('default');
    expect(suiteOf({ 'a.yaml': `tests:\n${test1('a')}` }, {}).problems.map(formatProblem)).toEqual(['no tenant: set `tenant:` in a test file or pass --tenant']);
  });

  test.each([
    ['a role defined in two files', { 'a.yaml': 'roles: { r: {} }\n', 'b.yaml': `roles:\n  - name: r\ntests:\n${test1('x')}` }, 'b.yaml:2: roles[0]: role "r" is also defined at a.yaml:1'],
    ['a policy defined in two files', { 'a.yaml': 'policies: { p: { actions: [read], effect: deny } }\n', 'b.yaml': `policies:\n  - { name: p, actions: [read], effect: deny }\ntests:\n${test1('x')}` }, 'b.yaml:2: policies[0]: policy "p" is also defined at a.yaml:1'],
    ['a problem inside one file', { 'a.yaml': `tests:\n${test1('x')}`, 'b.yaml': 'policies2: 1\n' }, 'b.yaml:1: policies2: unknown field (expected tenant, now, business_hours, roles, policies, tests)'],
    ['two tests of one name in a file', { 'a.yaml': `tests:\n${test1('same')}${test1('same')}` }, 'a.yaml:3: tests[1].name: another test in this file is named "same"'],
    ['no tests at all', { 'a.yaml': 'roles: { r: {} }\n' }, 'no tests: none of the files has a `tests:` entry'],
  ])('%s is a problem', (_label, files, problem) => {
    expect(suiteOf(files).problems.map(formatProblem)).toContain(problem);
  });

  test('tests of the same name in different files are fine', () => {
    expect(assembled({ 'a.yaml': `tests:\n${test1('same')}`, 'b.yaml': `tests:\n${test1('same')}` }).cases).toHaveLength(2);
  });
});

describe('violations of the run are placed in the files', () => {
  const suite = assembled({
    'rules.yaml': [
      'roles:',
      '  analyst:',
      '    permissions: [agent:create, agent]',
      'policies:',
      '  - name: p',
      '    condition:',
      '      user.clearance_level: { $below: confidential }',
      '    actions: [read]',
      '    effect: deny',
      '',
    ].join('\n'),
    'cases.yaml': [
      'tests:',
      '  - name: a',
      '    principal: { roles: [analyst], tenant_id: other }',
      '    action: read',
      '    resource: { kind: agent }',
      '    time: { bussiness_hours: true }',
      '    expect: allow',
      '',
    ].join('\n'),
  });

  test('the offline run reports every violation at its line, in the file spelling', () => {
    const outcome = runPolicyTests(suite.run, NO_STORED_RULES, NOW);
    expect(outcome.violations?.map((v) => formatProblem(suite.locate(v)))).toEqual([
      expect.stringMatching(/^rules\.yaml:3: roles\.analyst\.permissions\[1\]: "agent" is not a permission/),
      expect.stringMatching(/^rules\.yaml:7: policies\[0\]\.condition\.user\.clearance_level\.\$below: unknown operator \$below/),
      'cases.yaml:3: tests[0].principal.tenant_id: must be empty or equal tenant_id',
      expect.stringMatching(/^cases\.yaml:6: tests\[0\]\.time\.bussiness_hours: unknown time attribute/),
    ]);
  });

  test('fields the file does not have fall back to the nearest place it has', () => {
    expect(suite.locate({ field: 'draft_roles[0].name', description: 'x' })).toEqual({ file: 'rules.yaml', line: 2, field: 'roles.analyst.name', message: 'x' });
    expect(suite.locate({ field: 'cases[0].expected_effect', description: 'x' })).toMatchObject({ line: 7, field: 'tests[0].expect' });
    expect(suite.locate({ field: 'cases[0].model', description: 'x' })).toMatchObject({ line: 2, field: 'tests[0].model' });
    expect(suite.locate({ field: 'tenant_id', description: 'bad' })).toEqual({ file: '', field: 'tenant_id', message: 'bad' });
    expect(suite.locate({ field: 'roles[old].permissions[0]', description: 'stored role old: x' })).toEqual({ file: '', field: 'roles[old].permissions[0]', message: 'stored role old: x' });
  });
});

describe('expectations beyond the effect', () => {
  const decision = create(DecisionSchema, {
    effect: Effect.DENY,
    reason: DecisionReason.POLICY_DENY,
    matchedPolicies: ['pii_access_restriction'],
    explanation: 'denied by pii_access_restriction: data.contains_pii = true',
  });

  test('a met expectation has nothing to say', () => {
    expect(unmetExpectations({ effect: 'deny', reason: 'policy_deny', matchedPolicies: ['pii_access_restriction'], explanationContains: 'contains_pii' }, decision)).toEqual([]);
  });

  test('each unmet part is said', () => {
    expect(unmetExpectations({ effect: 'allow', reason: 'role_permission', matchedPolicies: ['other'], matchedRole: 'admin', explanationContains: 'hours' }, decision)).toEqual([
      'expected allow, got deny (policy_deny)',
      'expected reason role_permission, got policy_deny',
      'expected policy other to match, matched: pii_access_restriction',
      'expected role admin to grant it, got none',
      'expected the explanation to contain "hours"',
    ]);
    expect(unmetExpectations({ effect: 'deny' }, undefined)).toEqual(['no decision was returned']);
  });
});

describe('examples/policies (the Kaizen roles and policies with their tests)', () => {
  const dir = fileURLToPath(new URL('../../../../../examples/policies/', import.meta.url));
  const names = readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort();

  test('every test passes, offline, with every expectation met', () => {
    const suite = assembled(Object.fromEntries(names.map((n) => [n, readFileSync(dir + n, 'utf8')])));
    // The examples pin time, so the clock must not matter: run them on a Saturday night too.
    for (const now of [NOW, Date.parse('2024-03-16T23:00:00Z')]) {
      const outcome = runPolicyTests(suite.run, NO_STORED_RULES, now);
      expect(outcome.violations).toBeUndefined();
      const failures = suite.cases.flatMap((c, i) => unmetExpectations(c.expectation, outcome.response!.results[i]!.decision).map((f) => `${c.name}: ${f}`));
      expect(failures).toEqual([]);
    }
    expect(suite.cases.length).toBeGreaterThanOrEqual(10);
    expect(suite.run.draftRoles.map((r) => r.name).sort()).toEqual(['ai_analyst', 'senior_analyst']);
    expect(suite.run.draftPolicies.map((p) => p.name).sort()).toEqual(['financial_data_access', 'pii_access_restriction']);
  });
});
