// `aegis policies test --server`: the binary in a child process against a running policy
// service (auth + policy on the embedded backends), so the tenant's stored rules take part.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { startPolicy, TENANT, type RunningPolicy } from '../../../../services/policy/test/integration/service/policy-service-harness.js';
import { aegis } from '../aegis-process.js';

let service: RunningPolicy;
let dir: string;
let admin: Record<string, string>;

// A stored custom role: unknown offline, known to the server.
const STORED_ROLE_TEST = [
  `tenant: ${TENANT}`,
  'tests:',
  '  - name: stored analyst creates an agent',
  '    principal: { roles: [cli_analyst] }',
  '    action: create',
  '    resource: { kind: agent }',
  '    expect: { effect: allow, matched_role: cli_analyst }',
  '',
].join('\n');

beforeAll(async () => {
  service = await startPolicy();
  admin = { AEGIS_API_KEY: service.adminKey };
  dir = await mkdtemp(join(tmpdir(), 'aegis-cli-server-test-'));
  await service.admin.roles.createRole({ tenantId: TENANT, role: { name: 'cli_analyst', permissions: ['agent:create'] } });
  // Hot reload is asynchronous: wait until Check sees the role.
  const deadline = Date.now() + 5_000;
  while ((await service.admin.decisions.check({ tenantId: TENANT, principal: { tenantId: TENANT, id: 'u', roles: ['cli_analyst'] }, action: 'create', resource: { kind: 'agent' } })).decision?.matchedRole !== 'cli_analyst') {
    if (Date.now() > deadline) throw new Error('the stored role never reached the decision point');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});

afterAll(async () => {
  await service?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

test('stored rules take part on the server, and not offline', async () => {
  const path = await file('stored.yaml', STORED_ROLE_TEST);
  const remote = await aegis(['policies', 'test', '--server', service.policyUrl, path], admin);
  expect(remote.stderr).toBe('');
  expect(remote.code).toBe(0);
  expect(remote.stdout).toContain('  PASS  stored analyst creates an agent\n');
  expect(remote.stdout).toMatch(new RegExp(`ok: 1 tests, 1 passed, 0 failed \\(on ${service.policyUrl}, tenant ${TENANT}: stored rules at revision [1-9]\\d* with the drafts laid over them\\)`));

  const offline = await aegis(['policies', 'test', path]);
  expect(offline.code).toBe(1);
  expect(offline.stdout).toContain('expected allow, got deny (no_match)');
});

test('drafts in the files replace stored rules of their names; --ignore-stored leaves the stored ones out', async () => {
  const path = await file('drafts.yaml', [
    `tenant: ${TENANT}`,
    'roles:',
    '  cli_analyst: { permissions: [agent:read] }',
    'tests:',
    '  - { name: the draft no longer grants create, principal: { roles: [cli_analyst] }, action: create, resource: { kind: agent }, expect: deny }',
    '  - { name: the draft grants read, principal: { roles: [cli_analyst] }, action: read, resource: { kind: agent }, expect: { effect: allow, matched_role: cli_analyst } }',
    '',
  ].join('\n'));
  const drafted = await aegis(['policies', 'test', '--server', service.policyUrl, '--json', path], admin);
  expect(drafted.code).toBe(0);
  expect(JSON.parse(drafted.stdout)).toMatchObject({ mode: service.policyUrl, tenant: TENANT, passed: 2, failed: 0 });

  const stored = await file('ignored.yaml', STORED_ROLE_TEST.replace('expect: { effect: allow, matched_role: cli_analyst }', 'expect: deny'));
  const ignoring = await aegis(['policies', 'test', '--server', service.policyUrl, '--ignore-stored', stored], admin);
  expect(ignoring.code).toBe(0);
  expect(ignoring.stdout).toContain('drafts and the built-in roles, stored rules ignored');
});

test('--api-key-file and --tenant', async () => {
  const keyFile = await file('key.txt', `${service.adminKey}\n`);
  const path = await file('no-tenant.yaml', STORED_ROLE_TEST.replace(`tenant: ${TENANT}\n`, ''));
  const { code, stdout } = await aegis(['policies', 'test', '--server', service.policyUrl, '--tenant', TENANT, '--api-key-file', keyFile, path]);
  expect(code).toBe(0);
  expect(stdout).toContain(`tenant ${TENANT}`);
  const noTenant = await aegis(['policies', 'test', '--server', service.policyUrl, path], admin);
  expect(noTenant.code).toBe(2);
  expect(noTenant.stderr).toContain('no tenant: set `tenant:` in a test file or pass --tenant');
});

test('violations the server reports are placed in the files: exit 2', async () => {
  const path = await file('server-invalid.yaml', [
    `tenant: ${TENANT}`,
    'roles:',
    '  cli_lead:',
    '    inherits: [cli_nobody]',
    'tests:',
    '  - { name: a, principal: { roles: [cli_lead] }, action: read, resource: { kind: agent }, expect: deny }',
    '',
  ].join('\n'));
  const { code, stderr } = await aegis(['policies', 'test', '--server', service.policyUrl, path], admin);
  expect(code).toBe(2);
  expect(stderr).toBe(`error: ${path}:4: roles.cli_lead.inherits[0]: unknown role "cli_nobody"\n`);
});

test('without a usable credential or server: exit 2 without a key, exit 3 when refused or unreachable', async () => {
  const path = await file('refused.yaml', STORED_ROLE_TEST);
  const noKey = await aegis(['policies', 'test', '--server', service.policyUrl, path]);
  expect(noKey.code).toBe(2);
  expect(noKey.stderr).toContain('--server needs a credential: set AEGIS_API_KEY or pass --api-key-file');

  const auth = createConnectTransport({
    baseUrl: service.authUrl,
    httpVersion: '1.1',
    interceptors: [(next) => (req) => {
      req.header.set('authorization', `Bearer ${service.adminKey}`);
      return next(req);
    }],
  });
  const { user } = await createClient(UserService, auth).createUser({ tenantId: TENANT, email: `cli-${randomBytes(4).toString('hex')}@pt.test`, roles: ['viewer'] });
  const { secret } = await createClient(ApiKeyService, auth).createApiKey({ tenantId: TENANT, userId: user!.userId, name: 'cli test' });
  const refused = await aegis(['policies', 'test', '--server', service.policyUrl, path], { AEGIS_API_KEY: secret });
  expect(refused.code).toBe(3);
  expect(refused.stderr).toContain('PermissionDenied: missing permission policy:test');
  expect(refused.stderr).not.toContain(secret);

  const wrongKey = await aegis(['policies', 'test', '--server', service.policyUrl, path], { AEGIS_API_KEY: 'not-a-key' });
  expect(wrongKey.code).toBe(3);
  expect(wrongKey.stderr).toContain('Unauthenticated');

  const unreachable = await aegis(['policies', 'test', '--server', 'http://127.0.0.1:1', path], admin);
  expect(unreachable.code).toBe(3);
  expect(unreachable.stderr).toContain('http://127.0.0.1:1: Unavailable');
});
