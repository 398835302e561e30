import { createContextKey, type HandlerContext, type Interceptor } from '@connectrpc/connect';
import { AccessScope } from '@aegis/proto/aegis/common/v1/access_pb.js';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { MISSING_CREDENTIAL, methodAccess, passesWithoutCredential, principalKey } from '../auth/index.js';
import { permissionDenied, unauthenticated } from '../errors/index.js';
import type { DecisionCache } from './decision-cache.js';
import { callerOptions, PermissionChecker } from './permission-checker.js';
import type { PermissionDecider, PermissionDecision } from './permission-decider.js';
import { requestTenant } from './request-tenant.js';

/** The allowing decision of the current RPC (obligations: allowed models, resource limits). */
export const permissionDecisionKey = createContextKey<PermissionDecision | undefined>(undefined, { description: 'permission decision' });

/** Undefined for public RPCs and RPCs whose contract names no permission. */
export function currentPermissionDecision(ctx: HandlerContext): PermissionDecision | undefined {
  return ctx.values.get(permissionDecisionKey);
}

export type PermissionInterceptorOptions = {
  /** The platform (bootstrap) tenant, whose principals act in every tenant. */
  platformTenantId: string;
} & ({ checker: PermissionChecker } | { decider: PermissionDecider; cache?: DecisionCache });

/**
 * The GenXAI plan's `require_permission` for every RPC of a service, from the contract's
 * `(aegis.common.v1.access)` rule. Runs after the authentication interceptor:
 *   - public RPCs (and health, reflection) pass;
 *   - platform scope: the caller must belong to the platform tenant;
 *   - tenant scope: the request's `tenant_id` (the caller's own tenant when absent) must be the
 *     caller's, unless the caller belongs to the platform tenant, whose administrators look
 *     after every tenant; for streamed requests every message is checked;
 *   - a named permission is decided by policy in the caller's own tenant, and the decision is
 *     put on the context. Denied: PermissionDenied naming the permission and why. Policy
 *     unreachable: Unavailable, never a pass.
 */
export function permissionInterceptor(opts: PermissionInterceptorOptions): Interceptor {
  const checker = 'checker' in opts ? opts.checker : new PermissionChecker({ decider: opts.decider, ...(opts.cache !== undefined ? { cache: opts.cache } : {}) });
  const { platformTenantId } = opts;
  return (next) => async (req) => {
    if (passesWithoutCredential(req.service, req.method)) return next(req);
    const principal = req.contextValues.get(principalKey);
    // Only a missing authentication interceptor gets here without a principal: refuse.
    if (principal === undefined) throw unauthenticated(MISSING_CREDENTIAL);
    const rule = methodAccess(req.method);
    const platformScope = rule?.scope === AccessScope.PLATFORM;
    if (platformScope && principal.tenantId !== platformTenantId) {
      throw permissionDenied(`${req.method.name} acts across tenants: only principals of the platform tenant may call it`);
    }
    const inTenant = (message: unknown) => {
      if (!platformScope) requireTenantAccess(principal, requestTenant(req.method, message), platformTenantId);
    };
    if (!req.stream) inTenant(req.message);
    const permission = rule?.permission ?? '';
    if (permission !== '') {
      const decision = await checker.require(principal, permission, undefined, callerOptions(req.header, req.signal));
      req.contextValues.set(permissionDecisionKey, decision);
    }
    if (!req.stream) return next(req);
    return next({ ...req, message: eachChecked(req.message, inTenant) });
  };
}

function requireTenantAccess(principal: Principal, tenantId: string | undefined, platformTenantId: string): void {
  if (tenantId === undefined || tenantId === principal.tenantId || principal.tenantId === platformTenantId) return;
  throw permissionDenied(`the caller belongs to tenant "${principal.tenantId}", not "${tenantId}"`);
}

async function* eachChecked<T>(messages: AsyncIterable<T>, check: (message: T) => void): AsyncIterable<T> {
  for await (const message of messages) {
    check(message);
    yield message;
  }
}
