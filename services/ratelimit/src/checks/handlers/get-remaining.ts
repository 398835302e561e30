import type { MessageInitShape } from '@bufbuild/protobuf';
import type { GetRemainingRequest, GetRemainingResponseSchema } from '@aegis/proto/aegis/ratelimit/v1/rate_limit_service_pb.js';
import { requireTenantId } from '@aegis/shared';
import { answerParts } from '../answer.js';
import { effectiveLimits, requireKey } from '../effective-limits.js';
import type { CheckHandlerDeps } from './handler-deps.js';

/** Every effective limit as it stands, consuming nothing; `allowed` = would admit a cost of 1. */
export async function getRemaining(deps: CheckHandlerDeps, req: GetRemainingRequest): Promise<MessageInitShape<typeof GetRemainingResponseSchema>> {
  const tenantId = requireTenantId(req.tenantId);
  const owner = { tenantId, key: requireKey(req.key) };
  const limits = effectiveLimits(deps.config, owner, req.selector, deps.now());
  const answer = await deps.limiter.run('peek', owner, limits, 1);
  const parts = answerParts(answer.outcomes);
  return { limits: parts.limits, headers: parts.headers, degraded: answer.degraded };
}
