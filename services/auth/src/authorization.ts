import type { HandlerContext } from '@connectrpc/connect';
import { AccessScope } from '@aegis/proto/aegis/common/v1/access_pb.js';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { methodAccess, permissionDenied, requirePrincipal } from '@aegis/shared';

// Interim authorisation for auth's own RPCs, until the policy service's permission
// interceptor (which evaluates roles and ABAC policies) is in front of every service.
// The rule is read from the contract's `(aegis.common.v1.access)` option:
//   - tenant scope: the caller must belong to the request's tenant, or to the platform
//     (bootstrap) tenant, whose administrators look after every tenant (docs/contracts.md);
//   - platform scope: the caller must belong to the platform tenant;
//   - a named permission needs the `admin` role, a `*` permission, or that exact permission
//     on the principal; a caller acting on their own resources (ownerUserId) passes for the
//     self-service permissions below.
const SELF_SERVICE = new Set(['api_key:read', 'api_key:create', 'api_key:rotate', 'api_key:revoke', 'api_key:disable', 'session:read', 'user:read']);

export interface AuthorizeOptions {
  /** The request's tenant. */
  tenantId: string;
  /** The user whose resource is touched, when there is one (self-service). */
  ownerUserId?: string;
}

export class Authorizer {
  constructor(private readonly platformTenantId: string) {}

  /** The caller, once allowed; PermissionDenied naming what is missing otherwise. */
  authorize(ctx: HandlerContext, opts: AuthorizeOptions): Principal {
    const principal = requirePrincipal(ctx);
    const rule = methodAccess(ctx.method);
    if (rule?.scope === AccessScope.PLATFORM) {
      if (principal.tenantId !== this.platformTenantId) throw permissionDenied(`${ctx.method.name} acts across tenants: only principals of the platform tenant may call it`);
    } else if (principal.tenantId !== opts.tenantId && principal.tenantId !== this.platformTenantId) {
      throw permissionDenied(`the caller belongs to tenant "${principal.tenantId}", not "${opts.tenantId}"`);
    }
    const permission = rule?.permission ?? '';
    if (permission === '' || holdsPermission(principal, permission)) return principal;
    // Self-service needs the same tenant too: a platform user "alice" is not acme's "alice".
    const isOwner = opts.ownerUserId !== undefined && principal.tenantId === opts.tenantId && opts.ownerUserId === principal.userId;
    if (isOwner && SELF_SERVICE.has(permission)) return principal;
    throw permissionDenied(`missing permission ${permission}`);
  }
}

/** The interim permission rule: the `admin` role, `*`, `<resource>:*` or the exact permission. */
export function holdsPermission(principal: Principal, permission: string): boolean {
  if (principal.roles.includes('admin')) return true;
  const [resource] = permission.split(':');
  return principal.permissions.some((p) => p === '*' || p === permission || p === `${resource}:*`);
}
