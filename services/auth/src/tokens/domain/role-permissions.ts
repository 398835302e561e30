// The GenXAI plan's role -> permission table for the four built-in roles, the one place the
// `permissions` claim comes from. It is an issue-time hint for local checks: the policy
// service owns roles (custom ones included) and will own this mapping once it serves it;
// then this table goes and the claim is filled from there.
export const BUILT_IN_ROLES = ['admin', 'developer', 'operator', 'viewer'] as const;

export type BuiltInRole = (typeof BUILT_IN_ROLES)[number];

export const ROLE_PERMISSIONS: Readonly<Record<BuiltInRole, readonly string[]>> = {
  // Permission.ALL in the plan.
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

function isBuiltIn(role: string): role is BuiltInRole {
  return (BUILT_IN_ROLES as readonly string[]).includes(role);
}

/** Union of the built-in roles' permissions, sorted; `['*']` alone for an admin. Custom roles add nothing here. */
export function permissionsForRoles(roles: readonly string[]): string[] {
  if (roles.includes('admin')) return ['*'];
  const granted = new Set<string>();
  for (const role of roles) if (isBuiltIn(role)) for (const permission of ROLE_PERMISSIONS[role]) granted.add(permission);
  return [...granted].sort();
}

/** The plan's single `role` claim: the most privileged built-in role held, else the first role, else "". */
export function primaryRole(roles: readonly string[]): string {
  return BUILT_IN_ROLES.find((role) => roles.includes(role)) ?? roles[0] ?? '';
}
