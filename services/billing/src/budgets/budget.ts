import { periodContaining, type Interval } from '../periods/period.js';

export type BudgetPeriodKind = 'day' | 'week' | 'month' | 'fixed';
export type Enforcement = 'hard' | 'soft';

/** A stored budget (aegis.billing.v1.Budget), money in nanos. */
export interface BudgetRow {
  budgetId: string;
  tenantId: string;
  name: string;
  userId: string;
  apiKeyId: string;
  amountLimit: bigint | undefined;
  currency: string;
  tokenLimit: bigint | undefined;
  period: BudgetPeriodKind;
  fixedStart: Date | undefined;
  fixedEnd: Date | undefined;
  /** As stored: empty = the tenant's time zone. */
  timeZone: string;
  enforcement: Enforcement;
  version: bigint;
  createTime: Date;
  updateTime: Date;
  updatedBy: string;
}

/** Counters of one budget in one period. */
export interface PeriodCounters {
  spentNanos: bigint;
  spentTokens: bigint;
  reservedNanos: bigint;
  reservedTokens: bigint;
}

export const NO_COUNTERS: PeriodCounters = { spentNanos: 0n, spentTokens: 0n, reservedNanos: 0n, reservedTokens: 0n };

/** Whether a request of this user and key counts against the budget (tenant budgets: every request). */
export function appliesTo(budget: BudgetRow, userId: string, apiKeyId: string): boolean {
  if (budget.userId !== '') return budget.userId === userId;
  if (budget.apiKeyId !== '') return budget.apiKeyId === apiKeyId;
  return true;
}

/** The budget's period containing `at`, or undefined when a fixed budget is not live then. */
export function budgetPeriodAt(budget: BudgetRow, at: Date, tenantZone: string): Interval | undefined {
  if (budget.period === 'fixed') {
    const start = budget.fixedStart ?? new Date(0);
    if (at.getTime() < start.getTime()) return undefined;
    if (budget.fixedEnd !== undefined && at.getTime() >= budget.fixedEnd.getTime()) return undefined;
    return { start, end: budget.fixedEnd };
  }
  return periodContaining(at, budget.period, budget.timeZone !== '' ? budget.timeZone : tenantZone);
}

export interface Estimate {
  nanos: bigint;
  tokens: bigint;
}

/**
 * Whether holding `estimate` more keeps a hard budget within its caps (spent + reserved +
 * estimate <= limit). Soft budgets always fit. This check under the period row's lock is what
 * makes concurrent reservations unable to overspend.
 */
export function fits(budget: BudgetRow, counters: PeriodCounters, estimate: Estimate): boolean {
  if (budget.enforcement === 'soft') return true;
  if (budget.amountLimit !== undefined && counters.spentNanos + counters.reservedNanos + estimate.nanos > budget.amountLimit) return false;
  if (budget.tokenLimit !== undefined && counters.spentTokens + counters.reservedTokens + estimate.tokens > budget.tokenLimit) return false;
  return true;
}

/** True when committed spend alone has reached a cap. */
export function exceeded(budget: BudgetRow, counters: PeriodCounters): boolean {
  return (budget.amountLimit !== undefined && counters.spentNanos >= budget.amountLimit)
    || (budget.tokenLimit !== undefined && counters.spentTokens >= budget.tokenLimit);
}
