import type { BudgetRow } from './budget.js';
import type { BudgetStore } from './budget-store.js';

/**
 * Every tenant's budget list as ReserveBudget last saw it, kept until a budget change is
 * announced (or a reservation finds it stale). Never trusted blindly: reserve_budget compares
 * the ids and versions with the budgets table in the same statement that takes the hold and
 * answers `stale` on any difference, so a missed announcement costs one reload, never a
 * budget skipped. Hence no TTL, unlike BudgetBook's advisory cache.
 */
export class TenantBudgets {
  readonly #byTenant = new Map<string, BudgetRow[]>();
  /** Bumped by every forget: a load that started before one must not be cached after it. */
  #generation = 0;

  constructor(private readonly opts: { store: BudgetStore; maxTenants?: number }) {}

  async of(tenantId: string): Promise<BudgetRow[]> {
    const hit = this.#byTenant.get(tenantId);
    if (hit !== undefined) return hit;
    const generation = this.#generation;
    const budgets = await this.opts.store.ofTenants([tenantId]);
    if (generation === this.#generation) {
      if (this.#byTenant.size >= (this.opts.maxTenants ?? 10_000)) this.#byTenant.delete(this.#byTenant.keys().next().value!);
      this.#byTenant.set(tenantId, budgets);
    }
    return budgets;
  }

  forget(tenantId: string): void {
    this.#generation++;
    this.#byTenant.delete(tenantId);
  }

  forgetAll(): void {
    this.#generation++;
    this.#byTenant.clear();
  }
}
