import type { AuditTrail } from '../../audit/index.js';
import type { Authorizer } from '../../authorization.js';
import type { TenantPolicySets } from '../tenant-policy-sets.js';

/** What the DecisionService handlers are given. */
export interface DecisionHandlerDeps {
  policySets: TenantPolicySets;
  authorizer: Authorizer;
  /** Records denials and sampled allows; never blocks the answer. */
  audit: Pick<AuditTrail, 'decision'>;
  /** Request time, epoch milliseconds (a fixed clock in tests). */
  now(): number;
  /**
   * How long a caller that watches policy changes may reuse a decision (Check's cache_ttl).
   * Absent or 0: decisions are never offered for reuse.
   */
  decisionCacheTtlMs?: number;
}
