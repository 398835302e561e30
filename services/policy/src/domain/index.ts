// The policy decision engine: pure domain code (no I/O). See README.md for the semantics.
export * from './types.js';
export { BUILTIN_ROLE_NAMES, BUILTIN_ROLES, PLAN_PERMISSIONS, isBuiltinRoleName, type BuiltinRoleName } from './builtin-roles.js';
export { parsePermission, permissionProblem, formatPermission, type PermissionPattern } from './permission.js';
export { LEVELS } from './comparison.js';
export { ATTRIBUTE_ROOTS } from './attribute-path.js';
export { FIELD_OPERATORS, LOGICAL_OPERATORS } from './condition.js';
export { TIME_ATTRIBUTE_NAMES, TenantClock, businessHoursProblems, type TimeAttributes } from './tenant-clock.js';
export { validatePolicy, compilePolicy, parseActionPattern, type PolicyDraft, type CompiledPolicy, type ActionPattern } from './policy.js';
export { validateRole, type RoleDraft } from './role.js';
export { findInheritanceCycle, formatCycle } from './role-graph.js';
export { mostGenerous, mostGenerousOf, overlay, validateLimits } from './resource-limits.js';
export { resolveRoles, type ResolvedRole } from './role-resolution.js';
export { compilePolicySet, CompiledPolicySet, PolicySetCompileError, type ApplicablePolicies, type PrincipalGrant } from './policy-set.js';
export { decide, TenantMismatchError } from './decide.js';
export { listRolePermissions, listPrincipalPermissions, type PermissionListing } from './permission-listing.js';
export { MASK, isSensitivePath, maskAttributes, auditView, type AuditRequestView } from './masking.js';
export * from './proto-mapping.js';
