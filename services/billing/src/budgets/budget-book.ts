import type { SqlExecutor } from '@aegis/shared';
import type { Interval } from '../periods/period.js';
import type { TenantZones } from '../periods/tenant-zones.js';
import { appliesTo, budgetPeriodAt, NO_COUNTERS, type BudgetRow, type PeriodCounters } from './budget.js';
import type { BudgetStore } from './budget-store.js';

export interface BudgetState {
  budget: BudgetRow;
  period: Interval;
  counters: PeriodCounters;
}

interface Cached<T> {
  value: T;
  at: number;
}

/**
 * Where a subject's budgets stand, for CheckBudget and GetRemainingBudget: answered from memory
 * for up to `ttlMs`, else from the budget_periods counters (one indexed read, never a ledger
 * scan). The counters are the ledger's own sums: the booking transaction adds each entry's cost
 * to them, so they are reconciled with the ledger by construction. Reservations always read
 * and lock the rows themselves; this cache only serves the advisory checks.
 */
export class BudgetBook {
  readonly #budgets = new Map<string, Cached<BudgetRow[]>>();
  readonly #states = new Map<string, Map<string, Cached<BudgetState[]>>>();

  constructor(private readonly opts: { store: BudgetStore; zones: TenantZones; ttlMs: number; now: () => number }) {}

  /** Forget a tenant's budgets and states (after a budget change or a reservation here). */
  invalidate(tenantId: string): void {
    this.#budgets.delete(tenantId);
    this.#states.delete(tenantId);
  }

  async budgetsOf(tenantId: string): Promise<BudgetRow[]> {
    const now = this.opts.now();
    const hit = this.#budgets.get(tenantId);
    if (hit !== undefined && now - hit.at < this.opts.ttlMs) return hit.value;
    const value = await this.opts.store.ofTenants([tenantId]);
    this.#budgets.set(tenantId, { value, at: now });
    return value;
  }

  /** The live budgets applying to a request of this user and key, with their current counters. */
  async statesFor(tenantId: string, userId: string, apiKeyId: string): Promise<BudgetState[]> {
    const now = this.opts.now();
    const subject = `${userId}\u0000${apiKeyId}`;
    const hit = this.#states.get(tenantId)?.get(subject);
    if (hit !== undefined && now - hit.at < this.opts.ttlMs) return hit.value;
    const budgets = (await this.budgetsOf(tenantId)).filter((b) => appliesTo(b, userId, apiKeyId));
    const value = await this.withCounters(budgets, new Date(now));
    let perTenant = this.#states.get(tenantId);
    if (perTenant === undefined) {
      perTenant = new Map();
      this.#states.set(tenantId, perTenant);
    }
    if (perTenant.size > 10_000) perTenant.clear();
    perTenant.set(subject, { value, at: now });
    return value;
  }

  /** Current counters of the given budgets, read now (no cache). */
  async withCounters(budgets: readonly BudgetRow[], at: Date, executor?: SqlExecutor): Promise<BudgetState[]> {
    const live: { budget: BudgetRow; period: Interval }[] = [];
    for (const budget of budgets) {
      const period = budgetPeriodAt(budget, at, this.opts.zones.zoneOf(budget.tenantId));
      if (period !== undefined) live.push({ budget, period });
    }
    const rows = await this.opts.store.counters(live.map((l) => ({ budgetId: l.budget.budgetId, periodStart: l.period.start })), executor);
    const byKey = new Map(rows.map((r) => [`${r.budgetId}/${r.periodStart.getTime()}`, r]));
    return live.map((l) => ({ ...l, counters: byKey.get(`${l.budget.budgetId}/${l.period.start.getTime()}`) ?? NO_COUNTERS }));
  }
}
