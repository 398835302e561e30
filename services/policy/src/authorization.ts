import type { HandlerContext } from '@connectrpc/connect';
import { AccessScope } from '@aegis/proto/aegis/common/v1/access_pb.js';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { methodAccess, permissionDenied, requirePrincipal } from '@aegis/shared';

// Interim authorisation for policy's own RPCs, the same rule as auth's authorization.ts.
// Policy's own permission interceptor (roles and ABAC policies evaluated from the compiled
// set) replaces it; until then the rule is read from the contract's
// `(aegis.common.v1.access)` option:
//   - tenant scope: the caller belongs to the request's tenant or to the platform tenant;
//   - platform scope: the caller belongs to the platform tenant;
//   - a named permission needs the `admin` role, `*`, `<resource>:*` or the exact permission.

export interface AuthorizeOptions {
  /** The request's tenant. */
  tenantId: string;
  /** Skip the named permission and check the tenant only (DecisionService.Check). */
  tenantOnly?: boolean;
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
    if (opts.tenantOnly === true || permission === '' || holdsPermission(principal, permission)) return principal;
    throw permissionDenied(`missing permission ${permission}`);
  }
}

/** The interim permission rule: the `admin` role, `*`, `<resource>:*` or the exact permission. */
export function holdsPermission(principal: Principal, permission: string): boolean {
  if (principal.roles.includes('admin')) return true;
  const [resource] = permission.split(':');
  return principal.permissions.some((p) => p === '*' || p === permission || p === `${resource}:*`);
}

/** Who to record as the author of a change: the human behind the credential, else the principal. */
export function authorOf(principal: Principal): string {
  return principal.userId !== '' ? principal.userId : principal.id;
}
