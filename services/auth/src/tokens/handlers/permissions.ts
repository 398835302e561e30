import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { permissionDenied } from '@aegis/shared';
import { holdsPermission } from '../../authorization.js';

/**
 * For the permissions the token RPCs check themselves ("a user may issue for itself, anyone
 * else needs token:issue"), by the same rule the authoriser applies to contract permissions.
 */
export function requirePermission(principal: Principal, permission: string): void {
  if (!holdsPermission(principal, permission)) throw permissionDenied(`missing permission ${permission}`);
}

/**
 * Whether the caller is this very user: a USER principal with the same id *in the same tenant*
 * (platform operators act in other tenants, where a user of the same id is someone else).
 */
export function isSameUser(principal: Principal, tenantId: string, userId: string): boolean {
  return principal.tenantId === tenantId && principal.userId === userId;
}
