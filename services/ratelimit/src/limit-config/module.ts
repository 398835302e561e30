import type { ConnectRouter } from '@connectrpc/connect';
import { LimitConfigService } from '@aegis/proto/aegis/ratelimit/v1/limit_config_service_pb.js';
import { limitConfigHandlers, type LimitConfigHandlerDeps } from './limit-config-handlers.js';

export function registerLimitConfigService(router: ConnectRouter, deps: LimitConfigHandlerDeps): void {
  router.service(LimitConfigService, limitConfigHandlers(deps));
}
