import type { HandlerContext } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { CheckBatchRequest, CheckBatchResponseSchema } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { invalidArgument, requireTenantId } from '@aegis/shared';
import { actorOf } from '../../audit/index.js';
import { decide, decisionRequestFromProto, decisionToProto } from '../../domain/index.js';
import { askedBy, requireActionOnResource, requireDecisionPrincipal } from '../decision-input.js';
import type { DecisionHandlerDeps } from './handler-deps.js';

const MAX_ITEMS = 1000;

/** Every item is decided on its own, against one compiled set, so all share one revision. */
export function checkBatch(deps: DecisionHandlerDeps, req: CheckBatchRequest, ctx: HandlerContext): MessageInitShape<typeof CheckBatchResponseSchema> {
  const tenantId = requireTenantId(req.tenantId);
  const principal = requireDecisionPrincipal(req.principal, tenantId);
  if (req.items.length === 0 || req.items.length > MAX_ITEMS) throw invalidArgument('items', `must hold 1-${MAX_ITEMS} items`);
  const resources = req.items.map((item, i) => requireActionOnResource(item.action, item.resource, `items[${i}].`));
  const caller = deps.authorizer.authorize(ctx, { tenantId, tenantOnly: true });
  const set = deps.policySets.get(tenantId);
  const now = deps.now();
  const subject = actorOf(principal);
  const asker = askedBy(caller, principal);
  const decisions = req.items.map((item, i) => {
    const request = decisionRequestFromProto({
      tenantId,
      principal,
      action: item.action,
      resource: resources[i],
      model: item.model,
      requestIp: req.requestIp,
      context: req.context,
      sensitiveAttributes: req.sensitiveAttributes,
    }, now);
    const decision = decide(set, request);
    deps.audit.decision({ request, decision, subject, ...asker });
    return decisionToProto(decision);
  });
  return { decisions };
}
