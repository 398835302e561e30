import type { ConnectRouter } from '@connectrpc/connect';
import { LeaseService } from '@aegis/proto/aegis/ratelimit/v1/lease_service_pb.js';
import { leaseHandlers, type LeaseHandlerDeps } from './lease-handlers.js';

export function registerLeaseService(router: ConnectRouter, deps: LeaseHandlerDeps): void {
  router.service(LeaseService, leaseHandlers(deps));
}
