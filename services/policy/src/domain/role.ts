import { BUILTIN_ROLES, isBuiltinRoleName } from './builtin-roles.js';
import { permissionProblem } from './permission.js';
import { validateLimits } from './resource-limits.js';
import { findInheritanceCycle, formatCycle } from './role-graph.js';
import type { FieldViolation, ResourceLimits, RoleDefinition } from './types.js';

/** A role as submitted, before anything is known about its types (validation input). */
export type RoleDraft = { [K in keyof RoleDefinition]?: unknown };

const ROLE_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,254}$/;

function stringList(value: unknown, field: string, violations: FieldViolation[]): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    violations.push({ field, description: 'must be a list of strings' });
    return [];
  }
  return value.map((item: unknown, i) => {
    if (typeof item === 'string') return item;
    violations.push({ field: `${field}[${i}]`, description: 'must be a string' });
    return '';
  });
}

/**
 * Write-time validation of a custom role. `others` are the tenant's other custom roles as
 * stored (a stored role of the same name is replaced by the draft), so unknown parents and
 * inheritance cycles are caught before they can reach a compiled policy set.
 */
export function validateRole(draft: RoleDraft, others: readonly RoleDefinition[], path = 'role'): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const name = typeof draft.name === 'string' ? draft.name : '';

  if (!ROLE_NAME.test(name)) {
    violations.push({ field: `${path}.name`, description: 'must be 1-63 of [a-z0-9_], starting with a letter' });
  } else if (isBuiltinRoleName(name)) {
    violations.push({ field: `${path}.name`, description: `"${name}" is a built-in role and cannot be defined or changed` });
  }

  stringList(draft.permissions, `${path}.permissions`, violations).forEach((permission, i) => {
    const problem = permissionProblem(permission);
    if (problem !== undefined) violations.push({ field: `${path}.permissions[${i}]`, description: problem });
  });

  stringList(draft.modelAccess, `${path}.model_access`, violations).forEach((model, i) => {
    if (model !== '*' && !MODEL_ID.test(model)) {
      violations.push({ field: `${path}.model_access[${i}]`, description: `"${model}" is not a model id (or "*")` });
    }
  });

  if (draft.resourceLimits !== undefined) {
    if (typeof draft.resourceLimits !== 'object' || draft.resourceLimits === null) {
      violations.push({ field: `${path}.resource_limits`, description: 'must be an object' });
    } else {
      violations.push(...validateLimits(draft.resourceLimits as ResourceLimits, `${path}.resource_limits`));
    }
  }

  const known = new Set<string>([...BUILTIN_ROLES, ...others].map((r) => r.name));
  const parents = stringList(draft.inherits, `${path}.inherits`, violations);
  parents.forEach((parent, i) => {
    if (parent === name) violations.push({ field: `${path}.inherits[${i}]`, description: 'a role cannot include itself' });
    else if (!known.has(parent)) violations.push({ field: `${path}.inherits[${i}]`, description: `unknown role "${parent}"` });
  });

  if (ROLE_NAME.test(name)) {
    const graph = new Map<string, readonly string[]>(others.map((r) => [r.name, r.inherits]));
    graph.set(name, parents);
    const cycle = findInheritanceCycle(graph, name);
    if (cycle !== undefined && cycle.length > 2) {
      const i = parents.indexOf(cycle[1] ?? '');
      violations.push({ field: `${path}.inherits[${Math.max(i, 0)}]`, description: `inheritance cycle: ${formatCycle(cycle)}` });
    }
  }
  return violations;
}
