// The RBAC workload of the policy benches: the plan's four roles and eighteen permissions,
// custom roles with inheritance (several levels, several parents, custom roles over built-in
// ones), principals holding one, several or no roles, and a request mix of allows and denies.
// The same model is written once for our engine and once as a casbin model and policy, so
// both answer the same questions from the same rules.
import { BUILTIN_ROLES, compilePolicySet, type CompiledPolicySet, type DecisionRequest, PLAN_PERMISSIONS, type RoleDefinition } from '../services/policy/src/domain/index.js';

export const BENCH_TENANT = 'default';

/** Custom roles: the Kaizen analysts, plus roles built on the plan's roles and on each other. */
export const CUSTOM_ROLES: readonly RoleDefinition[] = [
  { name: 'ai_analyst', permissions: ['agent:create', 'workflow:execute', 'data:access_public'], modelAccess: ['gpt-3.5-turbo', 'gpt-4'], resourceLimits: { maxTokensPerDay: 100_000, maxConcurrentAgents: 5 }, inherits: [] },
  { name: 'senior_analyst', permissions: ['data:access_confidential', 'team_agent:manage'], modelAccess: ['claude-3'], resourceLimits: { maxTokensPerDay: 500_000, maxConcurrentAgents: 20 }, inherits: ['ai_analyst'] },
  { name: 'workflow_lead', permissions: ['workflow:*'], modelAccess: ['gpt-4'], resourceLimits: { maxConcurrentExecutions: 10 }, inherits: ['operator'] },
  { name: 'toolsmith', permissions: ['tool:*', 'memory:delete'], modelAccess: ['*'], inherits: ['developer'] },
  { name: 'auditor', permissions: ['audit:read', 'billing:read'], modelAccess: [], inherits: ['viewer'] },
  // Four levels deep (team_lead -> senior_analyst -> ai_analyst) and two parents.
  { name: 'team_lead', permissions: ['team_agent:*'], modelAccess: ['gpt-4o'], resourceLimits: { maxConcurrentAgents: 50 }, inherits: ['senior_analyst', 'workflow_lead'] },
];

/** Principals as auth would verify them: an id and its roles (`intern` is defined by nobody and grants nothing). */
export const PRINCIPALS: ReadonlyArray<{ id: string; roles: readonly string[] }> = [
  { id: 'alice', roles: ['admin'] },
  { id: 'bob', roles: ['developer'] },
  { id: 'carol', roles: ['operator'] },
  { id: 'dave', roles: ['viewer'] },
  { id: 'erin', roles: ['ai_analyst'] },
  { id: 'frank', roles: ['senior_analyst'] },
  { id: 'grace', roles: ['team_lead'] },
  { id: 'heidi', roles: ['viewer', 'ai_analyst'] },
  { id: 'ivan', roles: ['auditor'] },
  { id: 'judy', roles: ['toolsmith'] },
  { id: 'mallory', roles: ['intern'] },
];

/** The plan's eighteen permissions and the custom roles' own, plus two nobody but admin holds. */
export const REQUESTED_PERMISSIONS: readonly string[] = [
  ...PLAN_PERMISSIONS,
  'data:access_public', 'data:access_confidential', 'team_agent:manage', 'team_agent:create',
  'audit:read', 'billing:read', 'billing:update', 'secret:read',
];

export interface MixEntry {
  principal: { id: string; roles: readonly string[] };
  kind: string;
  action: string;
}

/**
 * Every principal × every permission, in a fixed shuffled order (so consecutive requests do
 * not repeat a principal or a permission, as a real stream would not).
 */
export function requestMix(): MixEntry[] {
  const mix: MixEntry[] = [];
  for (const principal of PRINCIPALS) {
    for (const permission of REQUESTED_PERMISSIONS) {
      const [kind, action] = permission.split(':') as [string, string];
      mix.push({ principal, kind, action });
    }
  }
  // Deterministic Fisher-Yates (a 32-bit LCG): every run and both engines see the same order.
  let seed = 0x2545f491;
  for (let i = mix.length - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0;
    const j = seed % (i + 1);
    [mix[i], mix[j]] = [mix[j]!, mix[i]!];
  }
  return mix;
}

/** Our engine's compiled set: built-in roles plus the custom roles, no ABAC policies (pure RBAC). */
export function compiledBenchSet(): CompiledPolicySet {
  return compilePolicySet({ tenantId: BENCH_TENANT, revision: 1, roles: CUSTOM_ROLES, policies: [] });
}

/** The engine's input for a mix entry, built once (the casbin side gets its arguments built once too). */
export function engineRequest(entry: MixEntry, now = Date.now()): DecisionRequest {
  return {
    tenantId: BENCH_TENANT,
    principal: { id: entry.principal.id, roles: entry.principal.roles, scopes: [] },
    action: entry.action,
    resource: { kind: entry.kind },
    context: { now },
  };
}

/**
 * RBAC with role hierarchy. Wildcards as in our permission syntax: `*` (p.obj and p.act both
 * `*`) grants everything, `resource:*` (p.act `*`) every action of a resource. casbin
 * evaluates the matcher once per `p` line; the cheap comparisons come first so the role lookup
 * `g()` runs only on lines that cover the permission (about 1.7× faster than `g()` first:
 * casbin gets its best matcher).
 */
export const CASBIN_MODEL = `
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = (p.obj == "*" || r.obj == p.obj) && (p.act == "*" || r.act == p.act) && g(r.sub, p.sub)
`;

/**
 * The same roles as casbin policy: a `p` line per permission a role writes itself, a `g` line
 * per inheritance edge and per principal's role.
 */
export function casbinPolicy(): string {
  const lines: string[] = [];
  for (const role of [...BUILTIN_ROLES, ...CUSTOM_ROLES]) {
    for (const permission of role.permissions) {
      const [obj, act] = permission === '*' ? ['*', '*'] : permission.split(':');
      lines.push(`p, ${role.name}, ${obj}, ${act}`);
    }
    for (const parent of role.inherits) lines.push(`g, ${role.name}, ${parent}`);
  }
  for (const principal of PRINCIPALS) for (const role of principal.roles) lines.push(`g, ${principal.id}, ${role}`);
  return lines.join('\n');
}
