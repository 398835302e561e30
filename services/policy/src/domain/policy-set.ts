import { isNameSegment } from './permission.js';
import { actionCovers, compilePolicy, type CompiledPolicy } from './policy.js';
import { mostGenerousOf } from './resource-limits.js';
import { resolveRoles, type ResolvedRole } from './role-resolution.js';
import { businessHoursProblems, TenantClock } from './tenant-clock.js';
import { DEFAULT_BUSINESS_HOURS, type FieldViolation, type Obligations, type PolicySetSnapshot } from './types.js';

/** A snapshot that cannot be compiled; `violations` say where (e.g. "roles[a].inherits[0]"). */
export class PolicySetCompileError extends Error {
  constructor(
    readonly tenantId: string,
    readonly violations: readonly FieldViolation[],
  ) {
    super(`policy set of tenant ${tenantId} does not compile: ${violations.map((v) => `${v.field}: ${v.description}`).join('; ')}`);
    this.name = 'PolicySetCompileError';
  }
}

/** The policies that cover one permission, split by effect. */
export interface ApplicablePolicies {
  readonly denies: readonly CompiledPolicy[];
  readonly allows: readonly CompiledPolicy[];
}

/** What a set of role names amounts to (unknown names dropped). */
export interface PrincipalGrant {
  /** The known roles, in the principal's order. */
  readonly roles: readonly ResolvedRole[];
  readonly anyModel: boolean;
  readonly models: ReadonlySet<string>;
  /** Shared by every decision for the same roles; frozen. */
  readonly obligations: Obligations;
}

// Both caches are keyed by caller-supplied strings, so they are bounded: past the bound they
// start over rather than grow.
const CACHE_LIMIT = 4096;
const MALFORMED: ApplicablePolicies = Object.freeze({ denies: [], allows: [] });

/**
 * One tenant's roles and policies at one revision, compiled for decisions: roles flattened
 * to permission indexes, conditions to closures, and per-permission policy lists and
 * per-role-set obligations memoised. Immutable apart from those caches.
 */
export class CompiledPolicySet {
  private readonly applicableCache = new Map<string, ApplicablePolicies>();
  private readonly grantCache = new Map<string, PrincipalGrant>();

  constructor(
    readonly tenantId: string,
    readonly revision: number,
    readonly roles: ReadonlyMap<string, ResolvedRole>,
    /** Enabled policies only. */
    readonly policies: readonly CompiledPolicy[],
    readonly clock: TenantClock,
  ) {}

  /**
   * The policies whose actions cover `resource:action` (`permission` is that string), or
   * undefined when the names are malformed (checked once per distinct permission).
   */
  applicable(resource: string, action: string, permission: string): ApplicablePolicies | undefined {
    const cached = this.applicableCache.get(permission);
    if (cached !== undefined) return cached === MALFORMED ? undefined : cached;
    if (!isNameSegment(resource) || !isNameSegment(action)) {
      this.remember(permission, MALFORMED);
      return undefined;
    }
    const covering = this.policies.filter((p) => p.actions.some((a) => actionCovers(a, resource, action)));
    const result: ApplicablePolicies = {
      denies: covering.filter((p) => p.effect === 'deny'),
      allows: covering.filter((p) => p.effect === 'allow'),
    };
    this.remember(permission, result);
    return result;
  }

  private remember(permission: string, entry: ApplicablePolicies): void {
    if (this.applicableCache.size >= CACHE_LIMIT) this.applicableCache.clear();
    this.applicableCache.set(permission, entry);
  }

  /** The combined roles, models and limits of a principal's role names. */
  grant(roleNames: readonly string[]): PrincipalGrant {
    const key = roleNames.length === 1 ? (roleNames[0] as string) : roleNames.join('\u0000');
    const cached = this.grantCache.get(key);
    if (cached !== undefined) return cached;
    const roles: ResolvedRole[] = [];
    for (const name of roleNames) {
      const role = this.roles.get(name);
      if (role !== undefined && !roles.includes(role)) roles.push(role);
    }
    const anyModel = roles.some((r) => r.anyModel);
    const models = new Set<string>();
    for (const role of roles) for (const model of role.models) models.add(model);
    const obligations: Obligations = Object.freeze({
      allowedModels: Object.freeze(anyModel ? ['*'] : [...models].sort()),
      resourceLimits: Object.freeze(mostGenerousOf(roles.map((r) => r.limits))),
    });
    const grant: PrincipalGrant = { roles, anyModel, models, obligations };
    if (this.grantCache.size >= CACHE_LIMIT) this.grantCache.clear();
    this.grantCache.set(key, grant);
    return grant;
  }
}

/**
 * Compiles a tenant snapshot. Throws PolicySetCompileError listing every problem (invalid
 * role or policy, unknown parent, inheritance cycle naming its roles, bad business hours):
 * the caller keeps serving its previous compiled set instead. Disabled policies are
 * validated too but not applied.
 */
export function compilePolicySet(snapshot: PolicySetSnapshot): CompiledPolicySet {
  const { roles, violations } = resolveRoles(snapshot.roles);
  const problems: FieldViolation[] = [...violations];

  const policies: CompiledPolicy[] = [];
  const names = new Set<string>();
  snapshot.policies.forEach((definition, i) => {
    const path = `policies[${definition.name || i}]`;
    if (names.has(definition.name)) problems.push({ field: `${path}.name`, description: `policy "${definition.name}" is defined twice` });
    names.add(definition.name);
    const compiled = compilePolicy(definition, path);
    problems.push(...compiled.violations);
    if (compiled.policy !== undefined && definition.enabled !== false) policies.push(compiled.policy);
  });

  const hours = snapshot.businessHours ?? DEFAULT_BUSINESS_HOURS;
  problems.push(...businessHoursProblems(hours, 'business_hours'));

  if (problems.length > 0) throw new PolicySetCompileError(snapshot.tenantId, problems);
  return new CompiledPolicySet(snapshot.tenantId, snapshot.revision, roles, policies, new TenantClock(hours));
}
