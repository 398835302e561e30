import type { HandlerContext } from '@connectrpc/connect';
import { AccessScope } from '@aegis/proto/aegis/common/v1/access_pb.js';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { permissionDenied } from '../errors/index.js';
import { methodAccess } from './method-access.js';
import { requirePrincipal } from './principal-context.js';

// Interim authorisation of a service's own RPCs, until the policy service's permission
// interceptor (roles and ABAC policies) stands in front of every service. The rule is read from
// the contract's `(aegis.common.v1.access)` option:
//   - tenant scope: the caller belongs to the request's tenant, or to the platform (bootstrap)
//     tenant, whose administrators look after every tenant (docs/contracts.md);
//   - platform scope: the caller belongs to the platform tenant;
//   - a named permission needs the `admin` role, `*`, `<resource>:*` or the exact permission;
//     a caller acting on their own resources passes for the service's self-service permissions.

export interface AuthorizeOptions {
  /** The request's tenant. */
  tenantId: string;
  /** The user whose resource is touched, when there is one (self-service). */
  ownerUserId?: string;
  /** Check the tenant only, not the named permission (e.g. DecisionService.Check). */
  tenantOnly?: boolean;
}

export class InterimAuthorizer {
  constructor(
    private readonly platformTenantId: string,
    private readonly selfService: ReadonlySet<string> = new Set(),
  ) {}

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
    if (opts.tenantOnly === true || permission === '' || holdsPermission(principal, permission)) return principal;
    // Self-service needs the same tenant too: a platform user "alice" is not acme's "alice".
    const isOwner = opts.ownerUserId !== undefined && principal.tenantId === opts.tenantId && opts.ownerUserId === principal.userId;
    if (isOwner && this.selfService.has(permission)) return principal;
    throw permissionDenied(`missing permission ${permission}`);
  }
}

/** The interim permission rule: the `admin` role, `*`, `<resource>:*` or the exact permission. */
export function holdsPermission(principal: Principal, permission: string): boolean {
  if (principal.roles.includes('admin')) return true;
  const [resource] = permission.split(':');
  return principal.permissions.some((p) => p === '*' || p === permission || p === `${resource}:*`);
}
