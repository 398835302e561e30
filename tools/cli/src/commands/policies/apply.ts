// aegis policies apply: makes the tenant's stored roles and policies match files in the policy
// test format (their tests are ignored). Idempotent: what already matches is reported
// unchanged and not written. Updates carry the version read (optimistic concurrency), so a
// concurrent change is reported as a conflict rather than overwritten.
import { Code, ConnectError } from '@connectrpc/connect';
import { formatProblem, type PolicyFileProblem, type PolicyTestFile, type YamlPath } from '@aegis/policy-service/policy-tests';
import { BadRequestSchema } from '@aegis/proto/aegis/common/v1/error_details_pb.js';
import type { Policy } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { PolicyService } from '@aegis/proto/aegis/policy/v1/policy_service_pb.js';
import type { Role } from '@aegis/proto/aegis/policy/v1/role_pb.js';
import { RoleService } from '@aegis/proto/aegis/policy/v1/role_service_pb.js';
import { EXIT } from '../../command.js';
import { renderTable } from '../../output/table.js';
import { TENANT_VARIABLE } from '../../server/connection.js';
import { codeName } from '../../server/failure.js';
import { serverCommand, type ServerContext } from '../../server/server-command.js';
import { inheritanceOrder, planPolicy, planRole, type Step } from './apply-plan.js';
import { loadTestFiles } from './test-files.js';

const RULE_FILE = /\.(ya?ml|json)$/;

export interface Sourced<T> {
  draft: T;
  path: YamlPath;
  file: PolicyTestFile;
}

interface Outcome {
  kind: 'role' | 'policy';
  name: string;
  file: string;
  line: number | undefined;
  action: Step<unknown>['action'];
  /** created / updated / unchanged, their dry-run forms, or failed / conflict. */
  status: string;
  version?: string;
  error?: { code: string; message: string; problems: PolicyFileProblem[] };
}

export const policiesApply = serverCommand({
  group: 'policies', name: 'apply', summary: 'Create or update stored roles and policies from files',
  usage: '[options] <file-or-dir>...',
  description: `Makes the tenant's stored roles and policies match the files: YAML or JSON in the
policy test format (docs/policy-tests.md): \`roles:\` and \`policies:\`, listed or keyed
by name; \`tests:\` are ignored, so one file can hold rules and their tests. A directory
is read for .yaml, .yml and .json files at any depth.

Each role and policy is compared with the stored one: missing ones are created, different
ones updated, equal ones reported unchanged (nothing is written). Nothing stored is deleted.
Roles are written before policies, parents before the roles inheriting them. Updates carry
the version that was read: if someone changed it in between, it is reported as a conflict
(exit 1) instead of being overwritten; run apply again to compare with the new version.
The tenant: --tenant, ${TENANT_VARIABLE}, the files' \`tenant:\`, else the API key's.`,
  services: ['policy'],
  positionals: { min: 1, max: 10_000 },
  options: { 'dry-run': { type: 'boolean', help: 'Compare and report what would change, without writing' } },
  examples: ['aegis policies test examples/policies && aegis policies apply examples/policies', 'aegis policies apply --dry-run --json policies/ | jq .summary'],
  async run(ctx) {
    const loaded = await loadTestFiles(ctx.args, ctx.io.cwd, RULE_FILE);
    const problems = [...loaded.problems, ...loaded.files.flatMap((f) => f.problems)];
    const roles: Sourced<Role>[] = loaded.files.flatMap((file) => file.roles.map((r) => ({ ...r, file })));
    const policies: Sourced<Policy>[] = loaded.files.flatMap((file) => file.policies.map((p) => ({ ...p, file })));
    problems.push(...duplicates('role', roles), ...duplicates('policy', policies));
    if (roles.length + policies.length === 0 && problems.length === 0) problems.push({ file: ctx.args.join(', '), message: 'no roles or policies found (expected `roles:` or `policies:`)' });
    const tenants = new Set(loaded.files.flatMap((f) => (f.tenant === undefined ? [] : [f.tenant])));
    const explicit = ctx.string('tenant') ?? ctx.io.env[TENANT_VARIABLE];
    if ((explicit === undefined || explicit.trim() === '') && tenants.size > 1) problems.push({ file: '', field: 'tenant', message: `the files name different tenants (${[...tenants].join(', ')}); pass --tenant` });
    if (problems.length > 0) return invalid(ctx, problems);
    const tenantId = explicit !== undefined && explicit.trim() !== '' ? explicit.trim() : tenants.size === 1 ? [...tenants][0]! : await ctx.tenant();

    const dryRun = ctx.flag('dry-run');
    const total = roles.length + policies.length;
    const outcomes: Outcome[] = [];
    const roleClient = ctx.client(RoleService);
    const policyClient = ctx.client(PolicyService);
    for (const role of inheritanceOrder(roles)) {
      ctx.progress.update(`${dryRun ? 'comparing' : 'applying'} ${outcomes.length + 1}/${total}: role ${role.draft.name}`);
      const stored = await orAbsent(roleClient.getRole({ tenantId, name: role.draft.name }).then((r) => r.role));
      const step = planRole(role.draft, stored, tenantId);
      outcomes.push(await carryOut(step, role, dryRun, ['role'], async () => {
        const written = step.action === 'create' ? (await roleClient.createRole({ tenantId, role: step.desired })).role
          : (await roleClient.updateRole({ tenantId, role: step.desired, expectedVersion: step.expectedVersion })).role;
        return written?.lastChange?.version;
      }));
    }
    for (const policy of policies) {
      ctx.progress.update(`${dryRun ? 'comparing' : 'applying'} ${outcomes.length + 1}/${total}: policy ${policy.draft.name}`);
      const stored = await orAbsent(policyClient.getPolicy({ tenantId, name: policy.draft.name }).then((r) => r.policy));
      const step = planPolicy(policy.draft, stored, tenantId);
      outcomes.push(await carryOut(step, policy, dryRun, ['policy'], async () => {
        const written = step.action === 'create' ? (await policyClient.createPolicy({ tenantId, policy: step.desired })).policy
          : (await policyClient.updatePolicy({ tenantId, policy: step.desired, expectedVersion: step.expectedVersion })).policy;
        return written?.lastChange?.version;
      }));
    }
    ctx.progress.done();
    return report(ctx, tenantId, dryRun, outcomes);
  },
});

async function orAbsent<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (ConnectError.from(err).code === Code.NotFound) return undefined;
    throw err;
  }
}

/**
 * Writes one step. A rejection of this item (invalid content, a conflict, a built-in role) is
 * recorded and the run goes on; anything else (unreachable, refused credential) ends the run.
 */
export async function carryOut<T>(step: Step<T>, item: Sourced<T>, dryRun: boolean, requestPrefix: string[], write: () => Promise<bigint | undefined>): Promise<Outcome> {
  const src = item.file.source;
  const base = { kind: step.kind, name: step.name, file: item.file.file, line: src.lineOf(item.path), action: step.action };
  if (step.action === 'builtin') {
    return { ...base, status: 'failed', error: { code: 'failed_precondition', message: `"${step.name}" is a built-in role: it cannot be changed (choose another name)`, problems: [] } };
  }
  if (step.action === 'unchanged') return { ...base, status: 'unchanged', version: String(step.expectedVersion) };
  if (dryRun) return { ...base, status: step.action === 'create' ? 'would create' : 'would update' };
  try {
    const version = await write();
    return { ...base, status: step.action === 'create' ? 'created' : 'updated', ...(version !== undefined ? { version: String(version) } : {}) };
  } catch (err) {
    const error = ConnectError.from(err);
    if (error.code === Code.Aborted || error.code === Code.AlreadyExists) {
      return { ...base, status: 'conflict', error: { code: codeName(error.code), message: `${step.kind} "${step.name}" changed while apply ran (someone else wrote it after it was read at version ${step.expectedVersion}); nothing was overwritten, run apply again`, problems: [] } };
    }
    if (error.code !== Code.InvalidArgument && error.code !== Code.FailedPrecondition && error.code !== Code.NotFound) throw err;
    const located = violationsOf(error).map((v) => {
      const rest = v.field.replace(new RegExp(`^${requestPrefix[0]}`), '');
      const found = rest === v.field && v.field !== '' ? undefined : src.locate(item.path, rest);
      return { file: item.file.file, line: found?.line ?? base.line, field: found?.field ?? (v.field || undefined), message: v.description };
    });
    return { ...base, status: 'failed', error: { code: codeName(error.code), message: error.rawMessage, problems: located } };
  }
}

function violationsOf(error: ConnectError): { field: string; description: string }[] {
  // The BadRequest detail when the server sent one, else the message as one violation.
  const found = error.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations);
  return found.length > 0 ? found : [{ field: '', description: error.rawMessage }];
}

function duplicates(kind: string, items: readonly Sourced<Role | Policy>[]): PolicyFileProblem[] {
  const seen = new Map<string, Sourced<Role | Policy>>();
  const out: PolicyFileProblem[] = [];
  for (const item of items) {
    const first = seen.get(item.draft.name);
    if (first === undefined) seen.set(item.draft.name, item);
    else out.push({ file: item.file.file, line: item.file.source.lineOf(item.path), message: `${kind} "${item.draft.name}" is also defined in ${first.file.file}` });
  }
  return out;
}

function invalid(ctx: ServerContext, problems: readonly PolicyFileProblem[]): number {
  if (ctx.json) ctx.io.stdout.write(`${JSON.stringify({ error: { code: 'invalid_argument', message: 'the files cannot be applied', problems } }, null, 2)}\n`);
  for (const problem of problems) ctx.io.stderr.write(`error: ${formatProblem(problem)}\n`);
  return EXIT.invalidInput;
}

function report(ctx: ServerContext, tenant: string, dryRun: boolean, outcomes: readonly Outcome[]): number {
  const count = (status: string) => outcomes.filter((o) => o.status === status).length;
  const summary = dryRun
    ? { wouldCreate: count('would create'), wouldUpdate: count('would update'), unchanged: count('unchanged'), failed: count('failed') }
    : { created: count('created'), updated: count('updated'), unchanged: count('unchanged'), conflicts: count('conflict'), failed: count('failed') };
  ctx.print({ tenant, dryRun, summary, results: outcomes }, () => {
    const table = renderTable([
      { header: 'kind', value: (o: Outcome) => o.kind },
      { header: 'name', value: (o) => o.name },
      { header: 'status', value: (o) => o.status },
      { header: 'version', value: (o) => o.version ?? '' },
      { header: 'source', value: (o) => (o.line === undefined ? o.file : `${o.file}:${o.line}`) },
    ], outcomes);
    const parts = Object.entries(summary).map(([k, v]) => `${v} ${k.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)}`);
    return `${table}\n${dryRun ? 'dry run, nothing written' : 'applied'} (tenant ${tenant}): ${parts.join(', ')}\n`;
  });
  for (const o of outcomes) {
    if (o.error === undefined) continue;
    if (o.error.problems.length === 0) ctx.io.stderr.write(`error: ${o.line === undefined ? o.file : `${o.file}:${o.line}`}: ${o.error.message}\n`);
    for (const p of o.error.problems) ctx.io.stderr.write(`error: ${formatProblem(p)}\n`);
  }
  if (count('failed') > 0) return EXIT.invalidInput;
  return count('conflict') > 0 ? EXIT.failed : EXIT.ok;
}
