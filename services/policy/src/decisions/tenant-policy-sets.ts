import type { Logger } from '@aegis/shared';
import { internal } from '@aegis/shared';
import { compilePolicySet, policyFromProto, roleFromProto, type CompiledPolicySet, type PolicySetSnapshot } from '../domain/index.js';
import type { PolicySnapshot, SnapshotCache } from '../store/index.js';

/**
 * The compiled policy set of every tenant, kept in step with the snapshot cache. Compiled
 * lazily on a tenant's first decision and again on every installed snapshot, so decisions
 * never wait for a compile after the first. A snapshot that does not compile (it validated
 * at write time, so only an engine change or a hand-edited row can cause it) leaves the
 * previous set serving and is logged: a tenant never runs half a policy set.
 *
 * Business hours and time zone are the tenant's settings in auth, which reach the snapshot
 * through aegis.tenants.v1 (../tenants): a settings change bumps the tenant's policy version,
 * so it is recompiled like any other change. A tenant whose settings have not arrived gets
 * the engine's default (Monday-Friday 09:00-17:00 UTC).
 */
export class TenantPolicySets {
  private readonly compiled = new Map<string, CompiledPolicySet>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly cache: SnapshotCache,
    private readonly logger: Logger,
  ) {
    this.unsubscribe = cache.onChange((snapshot) => {
      if (this.compiled.has(snapshot.tenantId)) this.install(snapshot);
    });
  }

  /** The tenant's current compiled set (built-in roles only for a tenant that defined nothing). */
  get(tenantId: string): CompiledPolicySet {
    const found = this.compiled.get(tenantId);
    if (found !== undefined) return found;
    const installed = this.install(this.cache.current(tenantId));
    if (installed === undefined) throw internal(`the policy set of tenant ${tenantId} cannot be compiled; see the service log`);
    return installed;
  }

  close(): void {
    this.unsubscribe();
    this.compiled.clear();
  }

  private install(snapshot: PolicySnapshot): CompiledPolicySet | undefined {
    const previous = this.compiled.get(snapshot.tenantId);
    if (previous !== undefined && BigInt(previous.revision) > snapshot.policyVersion) return previous;
    try {
      const set = compilePolicySet(toEngineSnapshot(snapshot));
      this.compiled.set(snapshot.tenantId, set);
      return set;
    } catch (err) {
      this.logger.error({ err, tenantId: snapshot.tenantId, policyVersion: String(snapshot.policyVersion) },
        'policy set does not compile: the previous set keeps serving');
      return previous;
    }
  }
}

function toEngineSnapshot(snapshot: PolicySnapshot): PolicySetSnapshot {
  return {
    tenantId: snapshot.tenantId,
    revision: Number(snapshot.policyVersion),
    roles: snapshot.roles.map(roleFromProto),
    policies: snapshot.policies.map(policyFromProto),
    ...(snapshot.businessHours !== undefined ? { businessHours: snapshot.businessHours } : {}),
  };
}
