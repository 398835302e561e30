import type { JsonObject } from '@bufbuild/protobuf';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { DecisionReason, type Decision } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import type { CheckInput } from '../cache/decision-key.js';
import type { PolicyClients } from '../clients.js';
import type { CallOptions } from './call-options.js';
import { PermissionDeniedError, atStep, type PermissionDeniedReason } from './errors.js';
import type { GuardRequest } from './types.js';

const DENIALS: Partial<Record<DecisionReason, PermissionDeniedReason>> = {
  [DecisionReason.POLICY_DENY]: 'policy_deny',
  [DecisionReason.MODEL_NOT_ALLOWED]: 'model_not_allowed',
  [DecisionReason.SCOPE_EXCLUDED]: 'scope_excluded',
  [DecisionReason.NO_MATCH]: 'no_match',
};

/** Whether `allowed` (a decision's model access: exact names, `*` = any) admits `model`. */
export function modelAllowed(allowed: readonly string[], model: string): boolean {
  return allowed.includes('*') || allowed.includes(model);
}

/**
 * `require_permission`, model access included: DecisionService.Check with the model, so a
 * model outside the principal's roles is MODEL_NOT_ALLOWED. Through the decision cache when
 * there is one: a repeated request is answered locally while policy's change stream is live. The allow's own obligations are
 * checked again here (deny by default if policy ever answered an allow without them).
 */
export async function authorize(policy: PolicyClients, principal: Principal, request: GuardRequest, call: CallOptions): Promise<Decision> {
  const check: CheckInput = {
    tenantId: principal.tenantId,
    principal,
    action: request.action,
    resource: {
      kind: request.resource.kind,
      id: request.resource.id ?? '',
      ...(request.resource.attributes !== undefined ? { attributes: request.resource.attributes as JsonObject } : {}),
    },
    model: request.model.model,
    requestIp: request.clientIp ?? '',
    ...(request.context !== undefined ? { context: request.context as JsonObject } : {}),
  };
  const cache = policy.decisionCache;
  const decision = await atStep('authorize', async () => cache !== undefined
    ? cache.check(check, call)
    : (await policy.decisions.check(check, call)).decision);
  const permission = decision?.permission || `${request.resource.kind}:${request.action}`;
  if (decision === undefined || decision.effect !== Effect.ALLOW) {
    const reason = (decision && DENIALS[decision.reason]) ?? 'no_match';
    const explanation = decision?.explanation || `${permission} is not granted`;
    throw new PermissionDeniedError(reason, explanation, permission, reason === 'model_not_allowed' ? request.model.model : undefined);
  }
  if (!modelAllowed(decision.obligations?.allowedModels ?? [], request.model.model)) {
    throw new PermissionDeniedError('model_not_allowed', `denied: model ${request.model.model} is not in the principal's model access`, permission, request.model.model);
  }
  return decision;
}
