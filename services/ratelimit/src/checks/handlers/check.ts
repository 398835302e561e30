import type { MessageInitShape } from '@bufbuild/protobuf';
import type { CheckRequest, CheckResponseSchema } from '@aegis/proto/aegis/ratelimit/v1/rate_limit_service_pb.js';
import { requireTenantId } from '@aegis/shared';
import { answerParts } from '../answer.js';
import { effectiveLimits, requireCost, requireKey } from '../effective-limits.js';
import type { CheckHandlerDeps } from './handler-deps.js';

/** Takes `cost` from every effective limit, or from none. A denial is an answer, not an error. */
export async function check(deps: CheckHandlerDeps, req: CheckRequest): Promise<MessageInitShape<typeof CheckResponseSchema>> {
  const tenantId = requireTenantId(req.tenantId);
  const owner = { tenantId, key: requireKey(req.key) };
  const limits = effectiveLimits(deps.config, owner, req.selector, deps.now());
  const cost = requireCost(req.cost, limits, { zeroIsOne: true });
  const answer = await deps.limiter.run('consume', owner, limits, cost);
  deps.metrics?.checks.inc({ result: answer.allowed ? 'allowed' : 'denied' });
  const parts = answerParts(answer.outcomes);
  return { allowed: answer.allowed, limits: parts.limits, retryAfter: parts.retryAfter, headers: parts.headers, degraded: answer.degraded };
}
