import { formatPermission, intersectPatterns, parsePermission, type PermissionPattern } from './permission.js';
import type { CompiledPolicySet } from './policy-set.js';
import type { ResourceLimits } from './types.js';

/** ListPermissions: what a role or a principal holds, inheritance resolved. */
export interface PermissionListing {
  /** The roles considered, inherited ones included, sorted. */
  roles: string[];
  /** Granted patterns as written (wildcards kept), de-duplicated and sorted. */
  permissions: string[];
  /** Sorted model ids, or ["*"]. */
  allowedModels: string[];
  resourceLimits: ResourceLimits;
}

/** Expands one role; undefined when the tenant has no such role. */
export function listRolePermissions(set: CompiledPolicySet, roleName: string): PermissionListing | undefined {
  const role = set.roles.get(roleName);
  if (role === undefined) return undefined;
  return {
    roles: [...role.includes].sort(),
    permissions: role.permissions.patterns(),
    allowedModels: role.anyModel ? ['*'] : [...role.models].sort(),
    resourceLimits: role.limits,
  };
}

/**
 * Expands a principal's roles, narrowed by its scopes when it has any (a scope keeps the
 * part of each granted pattern it covers: `*` narrowed by `agent:*` is `agent:*`).
 */
export function listPrincipalPermissions(set: CompiledPolicySet, roleNames: readonly string[], scopes: readonly string[] = []): PermissionListing {
  const grant = set.grant(roleNames);
  const roles = new Set<string>();
  const granted = new Set<string>();
  for (const role of grant.roles) {
    for (const name of role.includes) roles.add(name);
    for (const pattern of role.permissions.patterns()) granted.add(pattern);
  }
  let permissions = [...granted];
  if (scopes.length > 0) {
    const scopePatterns = scopes.map(parsePermission).filter((p): p is PermissionPattern => p !== undefined);
    const narrowed = new Set<string>();
    for (const text of permissions) {
      const pattern = parsePermission(text) as PermissionPattern;
      for (const scope of scopePatterns) {
        const both = intersectPatterns(pattern, scope);
        if (both !== undefined) narrowed.add(formatPermission(both));
      }
    }
    permissions = [...narrowed];
  }
  return {
    roles: [...roles].sort(),
    permissions: permissions.sort(),
    allowedModels: [...grant.obligations.allowedModels],
    resourceLimits: grant.obligations.resourceLimits,
  };
}
