import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { permissionDenied } from '@aegis/shared';
import { holdsPermission } from '../../authorization.js';

// GetSession and RevokeSession are open to any principal of the tenant by contract; the RPC
// itself decides: a user acts on their own sessions, anyone else needs the permission.

export function requireOwnerOrPermission(principal: Principal, ownerUserId: string, permission: string): void {
  if (principal.userId !== '' && principal.userId === ownerUserId) return;
  if (!holdsPermission(principal, permission)) throw permissionDenied(`missing permission ${permission} (users may only act on their own sessions)`);
}
