import { create } from '@bufbuild/protobuf';
import { durationFromMs, durationMs } from '@bufbuild/protobuf/wkt';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { DecisionReason as ProtoReason, DecisionSchema, type Decision as ProtoDecision, type Resource } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import { Effect as ProtoEffect, type Policy } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { ResourceLimitsSchema, RoleSchema, type ResourceLimits as ProtoLimits, type Role } from '@aegis/proto/aegis/policy/v1/role_pb.js';
import type { PolicyDraft } from './policy.js';
import type { Decision, DecisionReason, DecisionRequest, Effect, JsonObject, PolicyDefinition, ResourceLimits, RoleDefinition } from './types.js';

// The only file of the domain that knows protobuf: handlers and the store convert here, the
// engine itself works on plain objects (bigint-free, enum-free).

/** Integer limits named alike on both sides (max_execution_time is a Duration, mapped apart). */
const INTEGER_LIMITS = [
  'maxTokensPerDay',
  'maxConcurrentAgents',
  'maxConcurrentExecutions',
  'maxRequestsPerMinute',
  'maxTokensPerRequest',
  'maxMemoryMb',
] as const;

export function limitsFromProto(limits: ProtoLimits | undefined): ResourceLimits {
  const out: ResourceLimits = {};
  if (limits === undefined) return out;
  for (const field of INTEGER_LIMITS) {
    const value = limits[field];
    if (value !== undefined) out[field] = Number(value);
  }
  if (limits.maxExecutionTime !== undefined) out.maxExecutionTimeMs = durationMs(limits.maxExecutionTime);
  const custom = Object.entries(limits.custom);
  if (custom.length > 0) out.custom = Object.fromEntries(custom.map(([name, value]) => [name, Number(value)]));
  return out;
}

export function limitsToProto(limits: ResourceLimits): ProtoLimits {
  const out = create(ResourceLimitsSchema);
  for (const field of INTEGER_LIMITS) {
    const value = limits[field];
    if (value !== undefined) out[field] = BigInt(value);
  }
  if (limits.maxExecutionTimeMs !== undefined) out.maxExecutionTime = durationFromMs(limits.maxExecutionTimeMs);
  for (const [name, value] of Object.entries(limits.custom ?? {})) out.custom[name] = BigInt(value);
  return out;
}

export function roleFromProto(role: Role): RoleDefinition {
  return {
    name: role.name,
    description: role.description,
    permissions: role.permissions,
    modelAccess: role.modelAccess,
    resourceLimits: limitsFromProto(role.resourceLimits),
    inherits: role.inherits,
    builtin: role.builtin,
  };
}

/** A role for ListRoles/GetRole (last_change is the store's to fill). */
export function roleToProto(role: RoleDefinition, tenantId: string): Role {
  return create(RoleSchema, {
    tenantId,
    name: role.name,
    description: role.description ?? '',
    permissions: [...role.permissions],
    modelAccess: [...role.modelAccess],
    resourceLimits: limitsToProto(role.resourceLimits ?? {}),
    inherits: [...role.inherits],
    builtin: role.builtin === true,
  });
}

function effectFromProto(effect: ProtoEffect): Effect | undefined {
  return effect === ProtoEffect.ALLOW ? 'allow' : effect === ProtoEffect.DENY ? 'deny' : undefined;
}

/** A submitted policy, for validatePolicy (an unspecified effect stays invalid). */
export function policyDraftFromProto(policy: Policy): PolicyDraft {
  return {
    name: policy.name,
    description: policy.description,
    condition: policy.condition,
    actions: policy.actions,
    effect: effectFromProto(policy.effect),
    enabled: policy.enabled,
  };
}

/** A stored (hence validated) policy for a snapshot; throws if its effect is unspecified. */
export function policyFromProto(policy: Policy): PolicyDefinition {
  const effect = effectFromProto(policy.effect);
  if (effect === undefined) throw new Error(`stored policy ${policy.name} has no effect`);
  return {
    name: policy.name,
    description: policy.description,
    condition: (policy.condition ?? {}) as JsonObject,
    actions: policy.actions,
    effect,
    enabled: policy.enabled,
  };
}

const REASONS: Record<DecisionReason, ProtoReason> = {
  role_permission: ProtoReason.ROLE_PERMISSION,
  policy_allow: ProtoReason.POLICY_ALLOW,
  policy_deny: ProtoReason.POLICY_DENY,
  no_match: ProtoReason.NO_MATCH,
  model_not_allowed: ProtoReason.MODEL_NOT_ALLOWED,
  scope_excluded: ProtoReason.SCOPE_EXCLUDED,
};

export function decisionToProto(decision: Decision): ProtoDecision {
  return create(DecisionSchema, {
    effect: decision.allowed ? ProtoEffect.ALLOW : ProtoEffect.DENY,
    permission: decision.permission,
    reason: REASONS[decision.reason],
    matchedRole: decision.matchedRole ?? '',
    matchedPolicies: [...decision.matchedPolicies],
    explanation: decision.explanation,
    obligations: {
      allowedModels: [...decision.obligations.allowedModels],
      resourceLimits: limitsToProto(decision.obligations.resourceLimits),
    },
    revision: BigInt(decision.revision),
  });
}

/** The request fields shared by Check, CheckBatch items and policy test cases. */
export interface ProtoDecisionInput {
  tenantId: string;
  principal: Principal | undefined;
  action: string;
  resource: Resource | undefined;
  model: string;
  requestIp: string;
  context: JsonObject | undefined;
  sensitiveAttributes?: readonly string[];
}

/**
 * Builds a DecisionRequest. `user.id` is the human behind the principal (an API key acts as
 * its owner), else the principal id. With `pinTime` (policy tests only) an object at
 * `context.time` replaces the clock's `time.*` values.
 */
export function decisionRequestFromProto(input: ProtoDecisionInput, now: number, options: { pinTime?: boolean } = {}): DecisionRequest {
  const principal = input.principal;
  const pinned = options.pinTime === true ? input.context?.['time'] : undefined;
  return {
    tenantId: input.tenantId,
    principal: {
      id: principal === undefined ? '' : principal.userId !== '' ? principal.userId : principal.id,
      roles: principal?.roles ?? [],
      scopes: principal?.scopes ?? [],
      attributes: principal?.attributes as JsonObject | undefined,
    },
    action: input.action,
    resource: {
      kind: input.resource?.kind ?? '',
      id: input.resource?.id || undefined,
      attributes: input.resource?.attributes as JsonObject | undefined,
    },
    model: input.model || undefined,
    context: {
      now,
      ip: input.requestIp || undefined,
      attributes: input.context,
      pinnedTime: pinned !== null && typeof pinned === 'object' && !Array.isArray(pinned) ? pinned : undefined,
    },
    sensitiveAttributes: input.sensitiveAttributes,
  };
}
