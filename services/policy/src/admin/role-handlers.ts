import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import type { RoleService } from '@aegis/proto/aegis/policy/v1/role_service_pb.js';
import type { Role } from '@aegis/proto/aegis/policy/v1/role_pb.js';
import { failedPrecondition, notFound, requirePresent, requireTenantId } from '@aegis/shared';
import { authorOf } from '../authorization.js';
import { BUILTIN_ROLES, isBuiltinRoleName, roleFromProto, roleToProto, validateRole } from '../domain/index.js';
import { changeCommitted } from './change-committed.js';
import type { AdminHandlerDeps } from './handler-deps.js';
import { rejected, requireSameTenant } from './violations.js';

type RoleHandlers = ServiceImpl<typeof RoleService>;

// Built-in roles are never stored: they are answered from the plan's table, read-only.

function builtinRole(tenantId: string, name: string): Role | undefined {
  const role = BUILTIN_ROLES.find((r) => r.name === name);
  return role === undefined ? undefined : roleToProto(role, tenantId);
}

/** Validates a submitted role against the tenant's other stored roles (unknown parents, cycles). */
async function validated(deps: AdminHandlerDeps, tenantId: string, role: Role | undefined): Promise<Role> {
  const present = requirePresent(role, 'role');
  requireSameTenant(present.tenantId, tenantId, 'role.tenant_id');
  const snapshot = await deps.store.loadSnapshot(tenantId);
  const others = snapshot.roles.filter((r) => r.name !== present.name).map(roleFromProto);
  const violations = validateRole(roleFromProto(present), others);
  if (violations.length > 0) throw rejected(violations);
  return present;
}

function refuseBuiltin(name: string): void {
  if (isBuiltinRoleName(name)) throw failedPrecondition(`role ${name} is built in and read-only`);
}

export function roleHandlers(deps: AdminHandlerDeps): Partial<RoleHandlers> {
  return {
    async createRole(req, ctx: HandlerContext) {
      const tenantId = requireTenantId(req.tenantId);
      const caller = deps.authorizer.authorize(ctx, { tenantId });
      const role = await validated(deps, tenantId, req.role);
      const stored = await deps.store.createRole(tenantId, { ...role, builtin: false }, { changedBy: authorOf(caller) });
      await changeCommitted(deps, 'role.created', tenantId, caller, stored.name, stored.lastChange);
      return { role: stored };
    },
    async getRole(req, ctx) {
      const tenantId = requireTenantId(req.tenantId);
      deps.authorizer.authorize(ctx, { tenantId });
      const role = builtinRole(tenantId, req.name) ?? (await deps.store.getRole(tenantId, req.name));
      if (role === undefined) throw notFound('role', req.name);
      return { role };
    },
    async listRoles(req, ctx) {
      const tenantId = requireTenantId(req.tenantId);
      deps.authorizer.authorize(ctx, { tenantId });
      const page = await deps.store.listRoles(tenantId, { pageSize: req.pageSize, pageToken: req.pageToken });
      // The built-in roles join the first page, in name order (so it may hold up to four more
      // than page_size): store tokens are opaque, so later pages cannot place them.
      const roles = req.pageToken === ''
        ? [...BUILTIN_ROLES.map((r) => roleToProto(r, tenantId)), ...page.items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        : page.items;
      return { roles, nextPageToken: page.nextPageToken };
    },
    async updateRole(req, ctx) {
      const tenantId = requireTenantId(req.tenantId);
      const caller = deps.authorizer.authorize(ctx, { tenantId });
      refuseBuiltin(requirePresent(req.role, 'role').name);
      const role = await validated(deps, tenantId, req.role);
      const stored = await deps.store.updateRole(tenantId, { ...role, builtin: false }, { changedBy: authorOf(caller), expectedVersion: req.expectedVersion });
      await changeCommitted(deps, 'role.updated', tenantId, caller, stored.name, stored.lastChange);
      return { role: stored };
    },
    async deleteRole(req, ctx) {
      const tenantId = requireTenantId(req.tenantId);
      const caller = deps.authorizer.authorize(ctx, { tenantId });
      refuseBuiltin(req.name);
      const deleted = await deps.store.deleteRole(tenantId, req.name, { changedBy: authorOf(caller), expectedVersion: req.expectedVersion });
      await changeCommitted(deps, 'role.deleted', tenantId, caller, req.name, { revision: deleted.revision });
      return deleted;
    },
    async listRoleRevisions(req, ctx) {
      const tenantId = requireTenantId(req.tenantId);
      deps.authorizer.authorize(ctx, { tenantId });
      const page = await deps.store.listRoleRevisions(tenantId, req.name, { pageSize: req.pageSize, pageToken: req.pageToken });
      return { revisions: page.items, nextPageToken: page.nextPageToken };
    },
  };
}
