import type { MessageInitShape } from '@bufbuild/protobuf';
import type { RefundRequest, RefundResponseSchema } from '@aegis/proto/aegis/ratelimit/v1/rate_limit_service_pb.js';
import { requireTenantId } from '@aegis/shared';
import { answerParts } from '../answer.js';
import { effectiveLimits, requireCost, requireKey } from '../effective-limits.js';
import type { CheckHandlerDeps } from './handler-deps.js';

/** Gives `cost` back to every effective limit (never beyond a full bucket): work admitted but not done. */
export async function refund(deps: CheckHandlerDeps, req: RefundRequest): Promise<MessageInitShape<typeof RefundResponseSchema>> {
  const tenantId = requireTenantId(req.tenantId);
  const owner = { tenantId, key: requireKey(req.key) };
  const limits = effectiveLimits(deps.config, owner, req.selector, deps.now());
  const cost = requireCost(req.cost, limits, { zeroIsOne: false });
  const answer = await deps.limiter.run('refund', owner, limits, cost);
  return { limits: answerParts(answer.outcomes).limits };
}
