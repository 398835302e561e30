import type { RoleDefinition } from './types.js';

// Section 2 of the GenXAI plan: four roles, eighteen permissions, and this exact table.

/** The plan's eighteen permissions, in the plan's order. */
export const PLAN_PERMISSIONS = [
  'agent:create',
  'agent:read',
  'agent:update',
  'agent:delete',
  'agent:execute',
  'workflow:create',
  'workflow:read',
  'workflow:update',
  'workflow:delete',
  'workflow:execute',
  'tool:create',
  'tool:read',
  'tool:update',
  'tool:delete',
  'tool:execute',
  'memory:read',
  'memory:write',
  'memory:delete',
] as const;

export const BUILTIN_ROLE_NAMES = ['admin', 'developer', 'operator', 'viewer'] as const;
export type BuiltinRoleName = (typeof BUILTIN_ROLE_NAMES)[number];

export function isBuiltinRoleName(name: string): name is BuiltinRoleName {
  return (BUILTIN_ROLE_NAMES as readonly string[]).includes(name);
}

const DESCRIPTIONS: Record<BuiltinRoleName, string> = {
  admin: 'Full access',
  developer: 'Create/modify workflows',
  operator: 'Execute workflows',
  viewer: 'Read-only access',
};

const TABLE: Record<BuiltinRoleName, readonly string[]> = {
  // `*`, not the eighteen: admin keeps full access as permissions are added.
  admin: ['*'],
  developer: [
    'agent:create', 'agent:read', 'agent:update', 'agent:execute',
    'workflow:create', 'workflow:read', 'workflow:update', 'workflow:execute',
    'tool:read', 'tool:execute',
    'memory:read', 'memory:write',
  ],
  operator: [
    'agent:read', 'agent:execute',
    'workflow:read', 'workflow:execute',
    'tool:read', 'tool:execute',
    'memory:read',
  ],
  viewer: ['agent:read', 'workflow:read', 'tool:read', 'memory:read'],
};

/**
 * The built-in roles. The plan predates model access and limits, so they restrict neither
 * (`*` models, no limits); a tenant that wants to restrict models assigns custom roles.
 */
export const BUILTIN_ROLES: readonly RoleDefinition[] = BUILTIN_ROLE_NAMES.map((name) => ({
  name,
  description: DESCRIPTIONS[name],
  permissions: TABLE[name],
  modelAccess: ['*'],
  resourceLimits: {},
  inherits: [],
  builtin: true,
}));
