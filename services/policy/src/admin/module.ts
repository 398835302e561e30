import type { ConnectRouter } from '@connectrpc/connect';
import { PolicyService } from '@aegis/proto/aegis/policy/v1/policy_service_pb.js';
import { RoleService } from '@aegis/proto/aegis/policy/v1/role_service_pb.js';
import type { AdminHandlerDeps } from './handler-deps.js';
import { policyHandlers } from './policy-handlers.js';
import { roleHandlers } from './role-handlers.js';

/**
 * RoleService and PolicyService: writes are validated by the domain, then stored; every
 * instance picks them up through the snapshot cache's change notifications.
 */
export function registerAdminServices(router: ConnectRouter, deps: AdminHandlerDeps): void {
  router.service(RoleService, roleHandlers(deps));
  router.service(PolicyService, policyHandlers(deps));
}
