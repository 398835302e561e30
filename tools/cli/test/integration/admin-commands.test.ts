// The admin commands against all five services on Postgres, Redis and Kafka: every group's happy
// path, the --json shapes scripts rely on, and the error paths (invalid input: exit 2; refused
// or unreachable: exit 3), run in process; one run spawns the binary.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { UsageService } from '@aegis/proto/aegis/billing/v1/usage_service_pb.js';
import { aegis } from '../aegis-process.js';
import { aegisIn, eventually, startPlatform, type Platform } from './platform-harness.js';

let platform: Platform;
let dir: string;
let env: Record<string, string>;
const unique = () => randomBytes(4).toString('hex');

beforeAll(async () => {
  platform = await startPlatform();
  env = platform.env();
  dir = await mkdtemp(join(tmpdir(), 'aegis-cli-admin-'));
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function newUser(roles: string[]): Promise<string> {
  const created = await aegisIn(['users', 'create', '--email', `u-${unique()}@cli.test`, ...roles.flatMap((r) => ['--role', r]), '--json'], env);
  expect(created.code).toBe(0);
  return created.json().user.userId as string;
}

describe('keys', () => {
  test('create prints the secret once with a warning; list never shows it; rotate and revoke', async () => {
    const owner = await newUser(['developer']);
    const created = await aegisIn(['keys', 'create', '--name', 'ci', '--user', owner, '--tier', 'pro', '--expires', '30d'], env);
    expect(created.code).toBe(0);
    const secret = /secret \(shown once\):\n {2}(\S+)\n/.exec(created.stdout)![1]!;
    expect(secret).toMatch(/^genxai_live_[0-9A-Za-z]{38}$/);
    expect(created.stderr).toContain('only time the secret is shown');
    expect(created.stdout).toMatch(/tier:\s+pro/);

    const asJson = await aegisIn(['keys', 'create', '--name', 'ci-json', '--user', owner, '--json'], env);
    expect(asJson.code).toBe(0);
    const doc = asJson.json();
    expect(doc).toEqual({ apiKey: expect.objectContaining({ keyId: expect.any(String), userId: owner, name: 'ci-json', status: 'API_KEY_STATUS_ACTIVE', roles: ['developer'] }), secret: expect.stringMatching(/^genxai_live_/) });

    const listed = await aegisIn(['keys', 'list', '--user', owner], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^KEY ID\s+NAME\s+USER\s+HINT\s+STATUS/);
    expect(listed.stdout).toContain('ci-json');
    expect(listed.stdout).not.toContain(secret);
    expect(listed.stdout).not.toContain(doc.secret);
    const listedJson = (await aegisIn(['keys', 'list', '--user', owner, '--json'], env)).json();
    expect(listedJson.apiKeys.map((k: { name: string }) => k.name).sort()).toEqual(['ci', 'ci-json']);
    expect(JSON.stringify(listedJson)).not.toContain(doc.secret);

    const rotated = await aegisIn(['keys', 'rotate', '--grace', '1h', doc.apiKey.keyId, '--json'], env);
    expect(rotated.code).toBe(0);
    const r = rotated.json();
    expect(r.secret).toMatch(/^genxai_live_/);
    expect(r.secret).not.toBe(doc.secret);
    expect(r.apiKey.rotatedFromKeyId).toBe(doc.apiKey.keyId);
    expect(rotated.stderr).toContain('only time the secret is shown');

    const revoked = await aegisIn(['keys', 'revoke', r.apiKey.keyId, '--reason', 'test'], env);
    expect(revoked).toMatchObject({ code: 0, stderr: '' });
    expect(revoked.stdout).toContain(`revoked ${r.apiKey.keyId}`);
    // The revoked key is refused at once: used as the CLI's own credential it is exit 3.
    const withRevoked = await aegisIn(['keys', 'list'], platform.env(r.secret));
    expect(withRevoked.code).toBe(3);
    expect(withRevoked.stderr).toContain('Unauthenticated');
    expect(withRevoked.stderr).not.toContain(r.secret);
  });

  test('bad input is exit 2 with the usage; a bad grace too', async () => {
    const missing = await aegisIn(['keys', 'create'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('aegis keys create: --name is required');
    expect(missing.stderr).toContain('Usage: aegis keys create --name <name>');
    const unknownFlag = await aegisIn(['keys', 'list', '--colour'], env);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain("Unknown option '--colour'");
    const grace = await aegisIn(['keys', 'rotate', '--grace', 'soon', 'k1', '--json'], env);
    expect(grace.code).toBe(2);
    expect(grace.json()).toEqual({ error: { code: 'usage', message: '--grace must be a duration such as 0s, 30m, 24h or 7d', violations: [] } });
  });
});

describe('users and roles', () => {
  test('create, list, get, disable; a role created, shown, assigned and unassigned', async () => {
    const email = `ana-${unique()}@cli.test`;
    const created = await aegisIn(['users', 'create', '--email', email, '--name', 'Ana', '--role', 'viewer', '--attr', 'department=finance', '--attr', 'level=3', '--json'], env);
    expect(created.code).toBe(0);
    const user = created.json().user;
    expect(user).toMatchObject({ email, displayName: 'Ana', roles: ['viewer'], attributes: { department: 'finance', level: 3 }, status: 'USER_STATUS_ACTIVE' });

    const listed = await aegisIn(['users', 'list', '--role', 'viewer'], env);
    expect(listed.stdout).toMatch(new RegExp(`${user.userId}\\s+${email.replace('.', '\\.')}\\s+Ana\\s+active\\s+viewer`));
    const got = await aegisIn(['users', 'get', user.userId], env);
    expect(got.stdout).toMatch(/email:\s+ana-/);
    expect(got.stdout).toContain('"department":"finance"');

    const role = `cli_role_${unique()}`;
    const made = await aegisIn(['roles', 'create', role, '--permission', 'agent:execute', '--inherits', 'viewer', '--model', 'gpt-4o', '--description', 'CLI test'], env);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/permissions:\s+agent:execute/);
    const shown = await aegisIn(['roles', 'get', role, '--json'], env);
    expect(shown.json()).toMatchObject({ role: { name: role, inherits: ['viewer'], builtin: false }, effective: { roles: expect.arrayContaining([role, 'viewer']), permissions: expect.arrayContaining(['agent:execute']) } });
    const all = await aegisIn(['roles', 'list', '--json'], env);
    expect(all.json().roles.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(['admin', 'developer', 'operator', 'viewer', role]));

    const assigned = await aegisIn(['roles', 'assign', user.userId, role], env);
    expect(assigned).toMatchObject({ code: 0, stdout: `${email} (${user.userId}) now holds: viewer,${role}\n` });
    const unassigned = await aegisIn(['roles', 'unassign', user.userId, 'viewer', '--json'], env);
    expect(unassigned.json().user.roles).toEqual([role]);

    const disabled = await aegisIn(['users', 'disable', user.userId, '--reason', 'left'], env);
    expect(disabled.stdout).toBe(`disabled ${email} (${user.userId}): 0 API key(s) and 0 session(s) revoked\n`);
    expect((await aegisIn(['users', 'get', user.userId, '--json'], env)).json().user.status).toBe('USER_STATUS_DISABLED');
  });

  test('a server-side rejection is exit 2 with its violation; an unknown id is exit 2', async () => {
    const bad = await aegisIn(['roles', 'create', `cli_bad_${unique()}`, '--permission', 'agent'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/policy \(http:\/\/[^)]+\): InvalidArgument: .*permissions\[0\]/);
    const missing = await aegisIn(['users', 'get', '01890a5d-ac96-774b-bcce-b302099a8057', '--json'], env);
    expect(missing.code).toBe(2);
    expect(missing.json().error.code).toBe('not_found');
  });
});

describe('policies apply and check', () => {
  test('apply creates, is idempotent, updates; check explains the decision', async () => {
    const role = `cli_analyst_${unique()}`;
    const lead = `${role}_lead`;
    const policy = `cli_no_pii_${unique()}`;
    const rules = join(dir, 'rules');
    await (await import('node:fs/promises')).mkdir(rules, { recursive: true });
    // The child role comes first in the file: apply writes the parent first.
    await writeFile(join(rules, 'roles.yaml'), [
      'roles:',
      `  ${lead}:`,
      `    inherits: [${role}]`,
      '    permissions: [agent:create]',
      `  ${role}:`,
      '    permissions: [agent:execute, data:read]',
      '    resource_limits: { max_requests_per_minute: 60 }',
      '',
    ].join('\n'));
    await writeFile(join(rules, 'policies.json'), JSON.stringify({ policies: [{ name: policy, effect: 'deny', actions: ['data:read'], condition: { 'data.contains_pii': true }, description: 'no PII' }] }));

    const first = await aegisIn(['policies', 'apply', rules, '--json'], env, { cwd: dir });
    expect(first.code).toBe(0);
    expect(first.json()).toMatchObject({
      tenant: 'default', dryRun: false, summary: { created: 3, updated: 0, unchanged: 0, conflicts: 0, failed: 0 },
      results: [
        { kind: 'role', name: role, status: 'created', file: 'rules/roles.yaml', line: 5 },
        { kind: 'role', name: lead, status: 'created', line: 2 },
        { kind: 'policy', name: policy, status: 'created', file: 'rules/policies.json' },
      ],
    });

    const again = await aegisIn(['policies', 'apply', rules], env, { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`role\\s+${role}\\s+unchanged\\s+1\\s+rules/roles.yaml:5`));
    expect(again.stdout).toContain('applied (tenant default): 0 created, 0 updated, 3 unchanged, 0 conflicts, 0 failed');

    await writeFile(join(rules, 'policies.json'), JSON.stringify({ policies: [{ name: policy, effect: 'deny', actions: ['data:read', 'data:export'], condition: { 'data.contains_pii': true }, description: 'no PII' }] }));
    const dry = await aegisIn(['policies', 'apply', '--dry-run', rules, '--json'], env, { cwd: dir });
    expect(dry.json().summary).toEqual({ wouldCreate: 0, wouldUpdate: 1, unchanged: 2, failed: 0 });
    const updated = await aegisIn(['policies', 'apply', rules, '--json', '--progress'], env, { cwd: dir });
    expect(updated.json().results[2]).toMatchObject({ name: policy, status: 'updated', version: '2' });
    expect(updated.stderr).toContain(`applying 3/3: policy ${policy}`);

    // Hot reload is asynchronous: ask until the decision point has the new rules.
    const allowed = await eventually(async () => {
      const run = await aegisIn(['policies', 'check', '--role', lead, 'execute', 'agent/a1'], env);
      return run.code === 0 ? run : undefined;
    }, 'the applied roles to reach the decision point');
    expect(allowed.stdout).toMatch(/^ALLOW {2}agent:execute\n/);
    expect(allowed.stdout).toMatch(/reason:\s+role_permission/);
    const denied = await eventually(async () => {
      const run = await aegisIn(['policies', 'check', '--role', lead, '--resource-attr', 'contains_pii=true', 'read', 'data/d1', '--json'], env);
      return run.code === 1 ? run : undefined;
    }, 'the applied policy to reach the decision point');
    expect(denied.json().decision).toMatchObject({ effect: 'EFFECT_DENY', reason: 'DECISION_REASON_POLICY_DENY', matchedPolicies: [policy] });
  });

  test('invalid files are exit 2 with file:line; a built-in role is refused; check needs a principal', async () => {
    const path = join(dir, 'bad.yaml');
    await writeFile(path, ['roles:', `  cli_bad_${unique()}:`, '    permissions: [agent:read, "not a permission"]', ''].join('\n'));
    const bad = await aegisIn(['policies', 'apply', path], env, { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: bad\.yaml:3: roles\.cli_bad_\w+\.permissions\[1\]: /m);

    const builtin = join(dir, 'builtin.yaml');
    await writeFile(builtin, 'roles:\n  viewer:\n    permissions: ["*"]\n');
    const refused = await aegisIn(['policies', 'apply', builtin], env, { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('error: builtin.yaml:2: "viewer" is a built-in role: it cannot be changed');

    const syntax = join(dir, 'syntax.yaml');
    await writeFile(syntax, 'roles: [\n');
    const unparsable = await aegisIn(['policies', 'apply', syntax], env, { cwd: dir });
    expect(unparsable.code).toBe(2);
    expect(unparsable.stderr).toMatch(/^error: syntax\.yaml/m);

    const noPrincipal = await aegisIn(['policies', 'check', 'read', 'agent'], env);
    expect(noPrincipal.code).toBe(2);
    expect(noPrincipal.stderr).toContain('name the principal: --user <id> and/or --role <role>');
  });
});

describe('limits', () => {
  test('set, get, list with tiers, delete', async () => {
    const key = `cli-key-${unique()}`;
    const set = await aegisIn(['limits', 'set', key, '--tier', 'pro', '--limit', 'llm_tokens=100000/1m:150000', '--max-concurrent', '4', '--reason', 'launch', '--json'], env);
    expect(set.code).toBe(0);
    expect(set.json().override).toMatchObject({ key, tier: 'RATE_LIMIT_TIER_PRO', maxConcurrent: '4', reason: 'launch', limits: [{ name: 'llm_tokens', quota: '100000', window: '60s', burst: '150000' }] });
    const got = await aegisIn(['limits', 'get', key], env);
    expect(got.stdout).toMatch(/limits:\s+llm_tokens=100000\/1m:150000/);
    const all = await aegisIn(['limits', 'get'], env);
    expect(all.stdout).toMatch(new RegExp(`${key}\\s+pro\\s+llm_tokens=100000/1m:150000\\s+4`));
    expect(all.stdout).toMatch(/free\s+requests_per_minute=10\/1m requests_per_hour=100\/1h requests_per_day=1000\/1d/);
    expect((await aegisIn(['limits', 'delete', key], env)).stdout).toBe(`override of ${key} removed\n`);
    const gone = await aegisIn(['limits', 'get', key], env);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('NotFound');
  });

  test('a malformed limit or a missing key is exit 2', async () => {
    const bad = await aegisIn(['limits', 'set', 'k', '--limit', 'rpm=ten'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--limit must be name=quota/window[:burst]');
    expect((await aegisIn(['limits', 'delete'], env)).stderr).toContain('name a rate-limit key, or pass --tenant-wide');
  });
});

describe('budgets and usage', () => {
  test('create, list, get, remaining, delete; usage totals and breakdown once the ledger booked it', async () => {
    const user = `cli-user-${unique()}`;
    const created = await aegisIn(['budgets', 'create', '--name', 'monthly', '--user', user, '--amount', '10.50', '--tokens', '100000', '--period', 'month', '--json'], env);
    expect(created.code).toBe(0);
    const budget = created.json().budget;
    expect(budget).toMatchObject({ name: 'monthly', userId: user, amountLimit: { currencyCode: 'USD', amountNanos: '10500000000' }, tokenLimit: '100000', period: 'BUDGET_PERIOD_MONTH', enforcement: 'BUDGET_ENFORCEMENT_HARD' });
    expect((await aegisIn(['budgets', 'list', '--user', user], env)).stdout).toMatch(new RegExp(`${budget.budgetId}\\s+monthly\\s+user ${user}\\s+USD 10\\.50\\s+100000\\s+month\\s+hard`));
    expect((await aegisIn(['budgets', 'get', budget.budgetId], env)).stdout).toMatch(/amount limit:\s+USD 10\.50/);

    const usage = createClient(UsageService, createConnectTransport({ baseUrl: platform.urls.billing, httpVersion: '1.1', interceptors: [(next) => (req) => (req.header.set('authorization', `Bearer ${platform.adminKey}`), next(req))] }));
    await usage.recordUsage({ tenantId: 'default', userId: user, provider: 'openai', model: 'gpt-4', tokens: { promptTokens: 1000n, completionTokens: 500n } });
    const shown = await eventually(async () => {
      const run = await aegisIn(['usage', '--user', user, '--period', 'day', '--json'], env);
      return run.code === 0 && run.json().totals.requestCount === '1' ? run : undefined;
    }, 'the ledger to book the usage');
    // gpt-4 in the default catalogue: 1000 x 30,000 + 500 x 60,000 nanos per 1K tokens.
    expect(shown.json()).toMatchObject({ totals: { cost: { currencyCode: 'USD', amountNanos: '60000000' }, tokens: { promptTokens: '1000', completionTokens: '500' } }, breakdown: [{ provider: 'openai', model: 'gpt-4' }] });
    const human = await aegisIn(['usage', 'show', '--user', user], env);
    expect(human.stdout).toMatch(/cost:\s+USD 0\.06\n/);
    expect(human.stdout).toMatch(/openai\s+gpt-4\s+1\s+1000 in \/ 500 out\s+USD 0\.06/);

    const remaining = await eventually(async () => {
      const run = await aegisIn(['budgets', 'remaining', '--user', user, '--json'], env);
      return run.json().statuses[0]?.spent?.amountNanos === '60000000' ? run : undefined;
    }, 'the budget counters to see the spend');
    expect(remaining.json().statuses[0]).toMatchObject({ budgetId: budget.budgetId, remaining: { amountNanos: '10440000000' }, remainingTokens: '98500' });
    expect((await aegisIn(['budgets', 'remaining', '--user', user], env)).stdout).toMatch(/USD 0\.06\s+USD 0\.00\s+USD 10\.44\s+98500/);

    expect((await aegisIn(['budgets', 'delete', budget.budgetId], env)).code).toBe(0);
    expect((await aegisIn(['budgets', 'get', budget.budgetId], env)).code).toBe(2);
  });

  test('bad amounts and windows are exit 2', async () => {
    expect((await aegisIn(['budgets', 'create', '--name', 'x', '--amount', '1,5'], env)).stderr).toContain('--amount must be a decimal');
    expect((await aegisIn(['budgets', 'create', '--name', 'x'], env)).stderr).toContain('give --amount and/or --tokens');
    const both = await aegisIn(['usage', '--period', 'day', '--from', '2026-01-01'], env);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('use --period/--at or --from/--to, not both');
  });
});

describe('pii scan', () => {
  const text = 'Write to jane.doe@example.com\nor call 415-555-0100 today.';

  test('findings from an argument, the redacted text from stdin and from a file', async () => {
    const found = await aegisIn(['pii', 'scan', text], env);
    expect(found.code).toBe(0);
    expect(found.stdout).toMatch(/^TYPE\s+AT\s+LENGTH\s+SCORE\s+DETECTOR\nemail\s+1:10\s+20\s/);
    expect(found.stdout).not.toContain('jane.doe@example.com');
    const asJson = (await aegisIn(['pii', 'scan', text, '--json'], env)).json();
    expect(asJson).toMatchObject({ hasPii: true, findings: expect.arrayContaining([expect.objectContaining({ type: 'email', start: 9, end: 29 })]) });

    const redacted = await aegisIn(['pii', 'scan', '--redact'], env, { stdin: text });
    expect(redacted.stdout).toBe(`Write to <EMAIL>\nor call ${asJson.types.includes('phone') ? '<PHONE>' : '415-555-0100'} today.\n`);
    const path = join(dir, 'ticket.txt');
    await writeFile(path, text);
    const fromFile = await aegisIn(['pii', 'scan', '--file', path, '--redact', '--style', 'fixed', '--type', 'email'], env);
    expect(fromFile.stdout).toBe('Write to ***REDACTED***\nor call 415-555-0100 today.\n');
    expect((await aegisIn(['pii', 'scan', 'no personal data here'], env)).stdout).toBe('no PII found\n');
  });

  test('bad input is exit 2', async () => {
    expect((await aegisIn(['pii', 'scan', '--file', join(dir, 'missing.txt')], env)).stderr).toContain('--file: cannot read');
    expect((await aegisIn(['pii', 'scan', 'x', '--style', 'fixed'], env)).code).toBe(2);
  });
});

describe('credentials and reachability', () => {
  test('permission denied and an unknown credential are exit 3, never echoing the key', async () => {
    const viewer = await newUser(['viewer']);
    const key = (await aegisIn(['keys', 'create', '--name', 'viewer', '--user', viewer, '--json'], env)).json().secret as string;
    for (const argv of [['users', 'create', '--email', `x-${unique()}@cli.test`], ['budgets', 'create', '--name', 'x', '--tokens', '5'], ['limits', 'set', 'k', '--tier', 'pro']]) {
      const run = await aegisIn(argv, platform.env(key));
      expect({ argv, code: run.code }).toEqual({ argv, code: 3 });
      expect(run.stderr).toContain('PermissionDenied');
      expect(run.stderr).toContain('lacks this permission');
      expect(run.stderr + run.stdout).not.toContain(key);
    }
    const wrong = await aegisIn(['users', 'list', '--json'], platform.env('genxai_live_notarealkeynotarealkeynotarealkey12'));
    expect(wrong.code).toBe(3);
    expect(wrong.json().error.code).toBe('unauthenticated');
    const none = await aegisIn(['users', 'list'], { AEGIS_AUTH_URL: platform.urls.auth });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no credential: set AEGIS_API_KEY or pass --api-key-file');
  });

  test('an unreachable service is exit 3 naming the service and how to point at it', async () => {
    const run = await aegisIn(['budgets', 'list', '--tenant', 'default'], { ...env, AEGIS_BILLING_URL: 'http://127.0.0.1:1' });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('aegis budgets list: billing (http://127.0.0.1:1): Unavailable');
    expect(run.stderr).toContain('Set --billing-url, AEGIS_BILLING_URL or AEGIS_URL');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  test('the spawned binary: --json on stdout, exit codes, the key from a file', async () => {
    const keyFile = join(dir, 'admin.key');
    await writeFile(keyFile, `${platform.adminKey}\n`);
    const { AEGIS_API_KEY: _key, ...urls } = env;
    const listed = await aegis(['roles', 'list', '--json', '--api-key-file', keyFile], urls);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).roles.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(['admin', 'viewer']));
    const unreachable = await aegis(['keys', 'list', '--url', 'http://127.0.0.1:1'], { AEGIS_API_KEY: platform.adminKey });
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).not.toContain(platform.adminKey);
  });
});
