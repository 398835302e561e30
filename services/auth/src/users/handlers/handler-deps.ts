import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { permissionDenied } from '@aegis/shared';
import type { Authorizer } from '../../authorization.js';
import { ADMIN_ROLE } from '../domain/user.js';
import type { TenantRegistry } from '../tenant-registry.js';
import type { UserAccounts } from '../user-accounts.js';

/** What the users module's handlers are given. */
export interface UsersHandlerDeps {
  users: UserAccounts;
  tenants: TenantRegistry;
  authorizer: Authorizer;
  /** The bootstrap tenant, whose principals act across tenants. */
  platformTenantId: string;
}

/**
 * `role:assign` (or `user:create`) must not be a way to become admin: only a caller holding
 * admin (or `*`) may hand the admin role out.
 */
export function requireMayGrant(principal: Principal, roles: readonly string[]): void {
  if (!roles.includes(ADMIN_ROLE)) return;
  if (principal.roles.includes(ADMIN_ROLE) || principal.permissions.includes('*')) return;
  throw permissionDenied('only an admin may grant the admin role');
}
