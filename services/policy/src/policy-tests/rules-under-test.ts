import type { Policy } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import type { Role } from '@aegis/proto/aegis/policy/v1/role_pb.js';
import {
  compilePolicySet,
  policyDraftFromProto,
  policyFromProto,
  PolicySetCompileError,
  roleFromProto,
  validatePolicy,
  validateRole,
  type BusinessHours,
  type CompiledPolicySet,
  type FieldViolation,
  type PolicyDefinition,
  type RoleDefinition,
} from '../domain/index.js';

/** A tenant's stored custom roles and policies at one revision (the snapshot cache's view). */
export interface StoredRules {
  readonly revision: number;
  readonly roles: readonly Role[];
  readonly policies: readonly Policy[];
  /** The tenant's working week and zone, for unpinned `time.*`; default Monday-Friday 09-17 UTC. */
  readonly businessHours?: BusinessHours;
}

/** Nothing stored: the drafts and the built-in roles alone (offline runs). */
export const NO_STORED_RULES: StoredRules = Object.freeze({ revision: 0, roles: [], policies: [] });

export interface DraftRules {
  readonly tenantId: string;
  readonly draftRoles: readonly Role[];
  readonly draftPolicies: readonly Policy[];
  /** Leave the stored roles and policies out (the tenant's business hours still apply). */
  readonly ignoreStored: boolean;
}

export type RulesUnderTest =
  | { readonly set: CompiledPolicySet; readonly violations?: undefined }
  | { readonly set?: undefined; readonly violations: readonly FieldViolation[] };

/**
 * The policy set a test run decides with: the stored rules with the drafts laid over them (a
 * draft replaces the stored role or policy of its name, or is added). Drafts are validated as
 * a write would be, against the roles they would live beside, so a test run accepts exactly
 * what CreateRole/CreatePolicy would, and violations name the draft (`draft_roles[1].inherits[0]`).
 * The set keeps the stored revision: that is what the drafts were laid over (0 with
 * `ignoreStored`).
 */
export function compileRulesUnderTest(drafts: DraftRules, tenantRules: StoredRules): RulesUnderTest {
  const stored = drafts.ignoreStored ? { ...NO_STORED_RULES, businessHours: tenantRules.businessHours } : tenantRules;
  const violations: FieldViolation[] = [];
  const draftRoles = drafts.draftRoles.map((role) => ({ ...roleFromProto(role), builtin: false }));
  const draftPolicies = drafts.draftPolicies.map(policyDraftFromProto);

  checkTenantsAndNames(drafts.tenantId, drafts.draftRoles, 'draft_roles', violations);
  checkTenantsAndNames(drafts.tenantId, drafts.draftPolicies, 'draft_policies', violations);

  const roles = overlay(stored.roles.map(roleFromProto), draftRoles);
  draftRoles.forEach((role, i) => {
    const others = roles.filter((r) => r !== role);
    violations.push(...validateRole(role, others, `draft_roles[${i}]`));
  });
  draftPolicies.forEach((policy, i) => violations.push(...validatePolicy(policy, `draft_policies[${i}]`)));
  if (violations.length > 0) return { violations };

  // Validated above, so every draft has an effect.
  const policies = overlay(stored.policies.map(policyFromProto), draftPolicies as PolicyDefinition[]);
  try {
    return {
      set: compilePolicySet({
        tenantId: drafts.tenantId,
        revision: stored.revision,
        roles,
        policies,
        ...(stored.businessHours !== undefined ? { businessHours: stored.businessHours } : {}),
      }),
    };
  } catch (err) {
    if (!(err instanceof PolicySetCompileError)) throw err;
    return { violations: err.violations.map((v) => renamed(v, drafts)) };
  }
}

function checkTenantsAndNames(tenantId: string, drafts: readonly (Role | Policy)[], field: string, out: FieldViolation[]): void {
  const seen = new Map<string, number>();
  drafts.forEach((draft, i) => {
    if (draft.tenantId !== '' && draft.tenantId !== tenantId) out.push({ field: `${field}[${i}].tenant_id`, description: 'must be empty or equal tenant_id' });
    const first = seen.get(draft.name);
    if (first !== undefined && draft.name !== '') out.push({ field: `${field}[${i}].name`, description: `"${draft.name}" is already drafted by ${field}[${first}]` });
    else seen.set(draft.name, i);
  });
}

/** `base` with each draft replacing the entry of its name, or appended. */
function overlay<T extends RoleDefinition | PolicyDefinition>(base: readonly T[], drafts: readonly T[]): T[] {
  const drafted = new Set(drafts.map((d) => d.name));
  return [...base.filter((entry) => !drafted.has(entry.name)), ...drafts];
}

/**
 * Compilation reports `roles[name]...`/`policies[name]...`. After the checks above only a
 * stored rule can still fail (e.g. a row the current engine no longer accepts): point drafts
 * at their request field and say so for stored ones, which the caller cannot fix by editing
 * the request.
 */
function renamed(violation: FieldViolation, drafts: DraftRules): FieldViolation {
  const match = /^(roles|policies)\[([^\]]*)\](.*)$/.exec(violation.field);
  if (match === null) return violation;
  const [, kind, name, rest] = match;
  const list: readonly { name: string }[] = kind === 'roles' ? drafts.draftRoles : drafts.draftPolicies;
  const index = list.findIndex((d) => d.name === name);
  if (index >= 0) return { field: `draft_${kind}[${index}]${rest}`, description: violation.description };
  return { field: violation.field, description: `stored ${kind === 'roles' ? 'role' : 'policy'} ${name}: ${violation.description} (set ignore_stored to test the drafts alone)` };
}
