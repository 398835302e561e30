import { createRouterTransport, type ConnectRouter, type Interceptor } from '@connectrpc/connect';
import { DecisionService, type CheckRequest } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { principalKey } from '../auth/index.js';
import { errorMappingInterceptor } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { permissionDeciderOver } from './remote-permission-decider.js';
import type { PermissionDecider } from './permission-decider.js';

/**
 * Permission questions answered by a DecisionService implementation of this process (the
 * policy service's own, under `npm start`), through an in-memory transport: no network hop and
 * no credential to forward, yet the whole Check handler runs (validation, audit), so in-process
 * answers are exactly the remote ones. `routes` must register DecisionService (more is harmless).
 */
export function inProcessPermissionDecider(routes: (router: ConnectRouter) => void, opts: { logger: Logger; timeoutMs?: number }): PermissionDecider {
  const transport = createRouterTransport(routes, {
    router: { interceptors: [errorMappingInterceptor(opts.logger), actingAsDecidedPrincipal] },
  });
  return permissionDeciderOver(transport, { timeoutMs: opts.timeoutMs ?? 1_000 });
}

// Only this decider reaches the transport, and only after the caller's own authentication
// interceptor verified the principal it asks about; Check wants its caller in the tenant, and
// the principal asking about itself is exactly who a forwarded credential would have named.
const actingAsDecidedPrincipal: Interceptor = (next) => async (req) => {
  if (!req.stream && req.service.typeName === DecisionService.typeName && req.method.name === DecisionService.method.check.name) {
    req.contextValues.set(principalKey, (req.message as CheckRequest).principal);
  }
  return next(req);
};
