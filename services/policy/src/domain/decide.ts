import { evalEnv, type EvalEnv } from './attribute-path.js';
import type { SensitivityCheck } from './condition.js';
import { isSensitivePath } from './masking.js';
import type { CompiledPolicy } from './policy.js';
import type { CompiledPolicySet, PrincipalGrant } from './policy-set.js';
import type { Decision, DecisionReason, DecisionRequest, Obligations } from './types.js';

// Combining (policy.proto): any applicable deny policy wins; then the credential's scopes
// must include the permission; then a role permission, or else an applicable allow policy,
// allows; otherwise deny. An allow is finally refused if the requested model is outside the
// principal's model access. Only the deciding rules are explained, so the common path
// evaluates closures and map lookups and builds nothing but the result.

const NO_OBLIGATIONS: Obligations = Object.freeze({ allowedModels: Object.freeze([]), resourceLimits: Object.freeze({}) });
const NO_POLICIES: readonly string[] = Object.freeze([]);

/** Thrown when a request reaches another tenant's policy set: a wiring bug, never an answer. */
export class TenantMismatchError extends Error {
  constructor(expected: string, actual: string) {
    super(`policy set of tenant ${expected} cannot decide for tenant ${actual}`);
    this.name = 'TenantMismatchError';
  }
}

function sensitivityOf(request: DecisionRequest): SensitivityCheck {
  const paths = request.sensitiveAttributes ?? [];
  if (paths.length === 0) return () => false;
  return (path) => isSensitivePath(path, paths);
}

function scopesAllow(scopes: readonly string[] | undefined, resource: string, permission: string): boolean {
  if (scopes === undefined || scopes.length === 0) return true;
  for (const scope of scopes) {
    if (scope === '*' || scope === permission) return true;
    if (scope.length === resource.length + 2 && scope.endsWith(':*') && scope.startsWith(resource)) return true;
  }
  return false;
}

function matching(policies: readonly CompiledPolicy[], env: EvalEnv): CompiledPolicy[] | undefined {
  let out: CompiledPolicy[] | undefined;
  for (const policy of policies) if (policy.condition.test(env)) (out ??= []).push(policy);
  return out;
}

function explainPolicies(verb: string, policies: readonly CompiledPolicy[], env: EvalEnv, request: DecisionRequest): string {
  const sensitive = sensitivityOf(request);
  const names = policies.map((p) => p.name).join(', ');
  return `${verb} by ${names}: ${policies.map((p) => p.condition.describe(env, sensitive)).join('; ')}`;
}

export function decide(set: CompiledPolicySet, request: DecisionRequest): Decision {
  if (request.tenantId !== set.tenantId) throw new TenantMismatchError(set.tenantId, request.tenantId);
  const { action, principal } = request;
  const resource = request.resource.kind;
  const permission = `${resource}:${action}`;

  let env: EvalEnv | undefined;
  const deny = (reason: DecisionReason, explanation: string, matchedPolicies = NO_POLICIES) =>
    perCall(denial(set.revision, permission, reason, explanation, matchedPolicies), env);

  const applicable = set.applicable(resource, action, permission);
  if (applicable === undefined) return deny('no_match', `denied: "${permission}" is not a valid permission`);
  if (applicable.denies.length > 0) {
    env = evalEnv(request, set.clock);
    const denies = matching(applicable.denies, env);
    if (denies !== undefined) {
      return deny('policy_deny', explainPolicies('denied', denies, env, request), denies.map((p) => p.name));
    }
  }

  if (!scopesAllow(principal.scopes, resource, permission)) {
    return deny('scope_excluded', `denied: the credential's scopes (${(principal.scopes ?? []).join(', ')}) exclude ${permission}`);
  }

  const grant = set.grant(principal.roles);
  let reason: DecisionReason;
  let explanation: string;
  let matchedRole: string | undefined;
  let matchedPolicies = NO_POLICIES;

  let source: string | undefined;
  for (const role of grant.roles) {
    source = role.permissions.sourceOf(resource, permission);
    if (source !== undefined) {
      matchedRole = role.name;
      break;
    }
  }
  if (matchedRole !== undefined) {
    reason = 'role_permission';
    explanation = `allowed: role ${matchedRole} grants ${permission}${source !== matchedRole ? ` (inherited from ${source})` : ''}`;
  } else {
    env ??= evalEnv(request, set.clock);
    const allows = applicable.allows.length > 0 ? matching(applicable.allows, env) : undefined;
    if (allows === undefined) return deny('no_match', explainNoMatch(permission, applicable.allows, env, request));
    reason = 'policy_allow';
    explanation = explainPolicies('allowed', allows, env, request);
    matchedPolicies = allows.map((p) => p.name);
  }

  const model = request.model;
  if (model !== undefined && model !== '' && !grant.anyModel && !grant.models.has(model)) {
    return deny('model_not_allowed', `denied: model ${model} is not in the model access of ${describeRoles(grant)}`);
  }

  return perCall({
    allowed: true,
    effect: 'allow',
    permission,
    reason,
    matchedRole,
    matchedPolicies,
    explanation,
    obligations: grant.obligations,
    revision: set.revision,
  }, env);
}

/** Marks a decision whose conditions read per-call attributes (see EvalEnv.readPerCall). */
function perCall(decision: Decision, env: EvalEnv | undefined): Decision {
  if (env?.readPerCall === true) decision.readPerCallAttributes = true;
  return decision;
}

function denial(revision: number, permission: string, reason: DecisionReason, explanation: string, matchedPolicies: readonly string[]): Decision {
  return { allowed: false, effect: 'deny', permission, reason, matchedPolicies, explanation, obligations: NO_OBLIGATIONS, revision };
}

function describeRoles(grant: PrincipalGrant): string {
  if (grant.roles.length === 0) return 'the principal (no roles)';
  return `role${grant.roles.length > 1 ? 's' : ''} ${grant.roles.map((r) => r.name).join(', ')}`;
}

/** Names up to two allow policies that covered the action but whose conditions failed. */
function explainNoMatch(permission: string, allows: readonly CompiledPolicy[], env: EvalEnv, request: DecisionRequest): string {
  const base = `denied: no role grants ${permission} and no policy allows it`;
  if (allows.length === 0) return base;
  const sensitive = sensitivityOf(request);
  const notes = allows.slice(0, 2).map((p) => `${p.name} did not apply: ${p.condition.describe(env, sensitive)}`);
  return `${base} (${notes.join('; ')})`;
}
