import type { HandlerContext } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import type { CheckRequest, CheckResponseSchema } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { requireTenantId } from '@aegis/shared';
import { actorOf } from '../../audit/index.js';
import { decide, decisionRequestFromProto, decisionToProto } from '../../domain/index.js';
import { requireActionOnResource, requireDecisionPrincipal } from '../decision-input.js';
import { askedBy } from '../decision-input.js';
import type { DecisionHandlerDeps } from './handler-deps.js';

/**
 * Decides for the principal in the request, which may be someone other than the caller (a
 * platform service asking on behalf of its user): the caller only has to belong to the tenant.
 * The answer says how long the caller may reuse it (cache_ttl): never when a condition read
 * the clock or the request's own attributes, else the configured bound.
 */
export function check(deps: DecisionHandlerDeps, req: CheckRequest, ctx: HandlerContext): MessageInitShape<typeof CheckResponseSchema> {
  const tenantId = requireTenantId(req.tenantId);
  const principal = requireDecisionPrincipal(req.principal, tenantId);
  const resource = requireActionOnResource(req.action, req.resource);
  const caller = deps.authorizer.authorize(ctx, { tenantId, tenantOnly: true });
  const set = deps.policySets.get(tenantId);
  const request = decisionRequestFromProto({
    tenantId,
    principal,
    action: req.action,
    resource,
    model: req.model,
    requestIp: req.requestIp,
    context: req.context,
    sensitiveAttributes: req.sensitiveAttributes,
  }, deps.now());
  const decision = decide(set, request);
  deps.audit.decision({ request, decision, subject: actorOf(principal), ...askedBy(caller, principal) });
  const ttlMs = decision.readPerCallAttributes === true ? 0 : deps.decisionCacheTtlMs ?? 0;
  return { decision: decisionToProto(decision), ...(ttlMs > 0 ? { cacheTtl: durationFromMs(ttlMs) } : {}) };
}
