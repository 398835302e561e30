// `aegis policies test` offline, as a user runs it: the binary in a child process, on the
// repository's examples and on files written here, checking exit codes and output.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aegis, run } from '../aegis-process.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aegis-cli-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('the examples in examples/policies', () => {
  test('all pass: exit 0, a PASS line per test and the summary', async () => {
    const { code, stdout, stderr } = await aegis(['policies', 'test', 'examples/policies']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('examples/policies/kaizen.test.yaml\n');
    expect(stdout).toContain('  PASS  PII is denied below confidential clearance, even to an admin\n');
    expect(stdout).not.toContain('FAIL');
    expect(stdout).toMatch(/\nok: (\d+) tests, \1 passed, 0 failed \(offline, tenant acme: drafts from 3 files and the built-in roles\)\n$/);
  });

  test('through the root npm script', async () => {
    const { code, stdout } = await run('npm', ['run', '--silent', 'aegis', '--', 'policies', 'test', 'examples/policies']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/ok: \d+ tests/);
  });

  test('--json gives every result with its decision', async () => {
    const { code, stdout } = await aegis(['policies', 'test', '--json', 'examples/policies']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { mode: string; tenant: string; passed: number; failed: number; results: { name: string; passed: boolean; file: string; line: number; decision: { effect: string; reason: string; matchedPolicies: string[] } }[] };
    expect(report).toMatchObject({ mode: 'offline', tenant: 'acme', failed: 0 });
    expect(report.passed).toBe(report.results.length);
    const pii = report.results.find((r) => r.name === 'PII is denied below confidential clearance, even to an admin');
    expect(pii).toMatchObject({ passed: true, file: 'examples/policies/kaizen.test.yaml', decision: { effect: 'deny', reason: 'policy_deny', matchedPolicies: ['pii_access_restriction'] } });
    expect(pii?.line).toBeGreaterThan(1);
  });
});

describe('failing tests', () => {
  test('exit 1, FAIL with what differed, the decision and where the test is', async () => {
    const path = await file('failing.yaml', [
      'tests:',
      '  - name: viewer creates an agent',
      '    principal: { roles: [viewer] }',
      '    action: create',
      '    resource: { kind: agent }',
      '    expect: allow',
      '  - name: viewer reads an agent',
      '    principal: { roles: [viewer] }',
      '    action: read',
      '    resource: { kind: agent }',
      '    expect: { effect: allow, matched_role: admin }',
      '  - name: developer reads an agent',
      '    principal: { roles: [developer] }',
      '    action: read',
      '    resource: { kind: agent }',
      '    expect: allow',
      '',
    ].join('\n'));
    const { code, stdout } = await aegis(['policies', 'test', path]);
    expect(code).toBe(1);
    expect(stdout).toContain([
      '  FAIL  viewer creates an agent',
      '        expected allow, got deny (no_match)',
      '        decision: denied: no role grants agent:create and no policy allows it',
      `        at ${path}:2`,
      '  FAIL  viewer reads an agent',
      '        expected role admin to grant it, got viewer',
      '        decision: allowed: role viewer grants agent:read',
      `        at ${path}:7`,
      '  PASS  developer reads an agent',
    ].join('\n'));
    expect(stdout).toContain('FAILED: 3 tests, 1 passed, 2 failed (offline, tenant default:');

    const json = await aegis(['policies', 'test', '--json', path]);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { passed: number; failed: number; results: { passed: boolean; failures: string[] }[] };
    expect([report.passed, report.failed]).toEqual([1, 2]);
    expect(report.results[1]?.failures).toEqual(['expected role admin to grant it, got viewer']);
  });
});

describe('invalid input: exit 2', () => {
  test('engine violations at their file, line and field', async () => {
    const path = await file('invalid.yaml', [
      'roles:',
      '  analyst:',
      '    permissions: [agent:create, agent]',
      'policies:',
      '  - name: p',
      '    condition: { user.clearance_level: { $below: confidential } }',
      '    actions: [read]',
      '    effect: deny',
      'tests:',
      '  - { name: a, principal: { roles: [analyst] }, action: read, resource: { kind: agent }, expect: deny }',
      '',
    ].join('\n'));
    const { code, stdout, stderr } = await aegis(['policies', 'test', path]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^error: ${escape(path)}:3: roles\\.analyst\\.permissions\\[1\\]: "agent" is not a permission`)),
      expect.stringMatching(new RegExp(`^error: ${escape(path)}:6: policies\\[0\\]\\.condition\\.user\\.clearance_level\\.\\$below: unknown operator \\$below`)),
      '',
    ]);
    const json = await aegis(['policies', 'test', '--json', path]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({ errors: [
      expect.objectContaining({ file: path, line: 3, field: 'roles.analyst.permissions[1]' }),
      expect.objectContaining({ file: path, line: 6, field: 'policies[0].condition.user.clearance_level.$below' }),
    ] });
  });

  test.each([
    ['a YAML syntax error', ['policies', 'test', '@syntax.yaml'], /^error: .*syntax\.yaml:\d+: Flow sequence/],
    ['a missing file', ['policies', 'test', 'no/such/file.yaml'], /^error: no\/such\/file\.yaml: no such file or directory$/m],
    ['no paths', ['policies', 'test'], /name at least one test file or directory/],
    ['an unknown option', ['policies', 'test', '--colour', 'examples/policies'], /Unknown option '--colour'/],
    ['--api-key-file without --server', ['policies', 'test', '--api-key-file', 'k', 'examples/policies'], /need --server/],
    ['an unknown command', ['policies', 'lint'], /unknown command "policies lint"/],
    ['no command at all', [], /Usage: aegis <group> <command>/],
  ])('%s', async (_label, args, message) => {
    const syntax = await file('syntax.yaml', 'tests:\n  - [a\n');
    const { code, stderr } = await aegis(args.map((a) => (a === '@syntax.yaml' ? syntax : a)));
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  test('--help is not an error', async () => {
    const { code, stdout } = await aegis(['policies', 'test', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Exit codes: 0 all tests passed, 1 a test failed, 2 invalid input');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
