import { BUILTIN_ROLES, isBuiltinRoleName } from './builtin-roles.js';
import { parsePermission, PermissionIndex } from './permission.js';
import { mostGenerousOf, overlay } from './resource-limits.js';
import { validateRole } from './role.js';
import type { FieldViolation, ResourceLimits, RoleDefinition } from './types.js';

/** A role with its inheritance folded in: what a principal holding it may do. */
export interface ResolvedRole {
  readonly name: string;
  /** Own and inherited permission patterns; each remembers the role that wrote it. */
  readonly permissions: PermissionIndex;
  /** True when the role or one it includes has model access `*`. */
  readonly anyModel: boolean;
  readonly models: ReadonlySet<string>;
  /** Own limits over the most generous of the included roles' limits. */
  readonly limits: ResourceLimits;
  /** The role itself and every role it includes, transitively. */
  readonly includes: ReadonlySet<string>;
}

/**
 * Resolves the built-in roles plus a tenant's custom roles. Invalid roles, unknown parents
 * and inheritance cycles are reported, not resolved: a policy set with such a role is
 * rejected as a whole, so a broken write can never silently change what a principal may do.
 * A stored role named like a built-in one is ignored when marked built-in (the plan's table
 * is authoritative) and rejected otherwise.
 */
export function resolveRoles(custom: readonly RoleDefinition[]): { roles: Map<string, ResolvedRole>; violations: FieldViolation[] } {
  const violations: FieldViolation[] = [];
  const customOnly = custom.filter((role) => !(role.builtin === true && isBuiltinRoleName(role.name)));
  const seen = new Set<string>();
  customOnly.forEach((role, i) => {
    const path = `roles[${role.name || i}]`;
    if (seen.has(role.name)) violations.push({ field: `${path}.name`, description: `role "${role.name}" is defined twice` });
    seen.add(role.name);
    violations.push(...validateRole(role, customOnly.filter((_, j) => j !== i), path));
  });
  if (violations.length > 0) return { roles: new Map(), violations };

  const definitions = new Map<string, RoleDefinition>();
  for (const role of [...BUILTIN_ROLES, ...customOnly]) definitions.set(role.name, role);
  const resolved = new Map<string, ResolvedRole>();

  // Validation above guarantees an acyclic graph of known roles, so plain memoised recursion
  // terminates.
  const resolve = (name: string): ResolvedRole => {
    const done = resolved.get(name);
    if (done !== undefined) return done;
    const definition = definitions.get(name) as RoleDefinition;
    const parents = definition.inherits.map(resolve);

    const permissions = new PermissionIndex();
    for (const text of definition.permissions) {
      const pattern = parsePermission(text);
      if (pattern !== undefined) permissions.add(pattern, name);
    }
    for (const parent of parents) permissions.addAll(parent.permissions);

    const models = new Set<string>(definition.modelAccess.filter((m) => m !== '*'));
    for (const parent of parents) for (const model of parent.models) models.add(model);
    const anyModel = definition.modelAccess.includes('*') || parents.some((p) => p.anyModel);

    const inherited = parents.length === 0 ? {} : mostGenerousOf(parents.map((p) => p.limits));
    const limits = overlay(definition.resourceLimits ?? {}, inherited);

    const includes = new Set<string>([name]);
    for (const parent of parents) for (const role of parent.includes) includes.add(role);

    const role: ResolvedRole = { name, permissions, anyModel, models, limits, includes };
    resolved.set(name, role);
    return role;
  };
  for (const name of definitions.keys()) resolve(name);
  return { roles: resolved, violations };
}
