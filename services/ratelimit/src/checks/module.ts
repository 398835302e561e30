import type { ConnectRouter } from '@connectrpc/connect';
import { RateLimitService } from '@aegis/proto/aegis/ratelimit/v1/rate_limit_service_pb.js';
import { check } from './handlers/check.js';
import { getRemaining } from './handlers/get-remaining.js';
import type { CheckHandlerDeps } from './handlers/handler-deps.js';
import { refund } from './handlers/refund.js';

/** RateLimitService: limits resolved from memory, one store step per call. */
export function registerRateLimitService(router: ConnectRouter, deps: CheckHandlerDeps): void {
  router.service(RateLimitService, {
    check: (req) => check(deps, req),
    getRemaining: (req) => getRemaining(deps, req),
    refund: (req) => refund(deps, req),
  });
}
