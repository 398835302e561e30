import type { BudgetPeriodKind } from '../budgets/budget.js';

export type Threshold = { amountNanos: bigint } | { percent: number };
export type Channel = { webhook: { url: string; sealedSecret: string } } | { email: { to: string[] } };

/** A stored cost alert (aegis.billing.v1.CostAlert). */
export interface AlertRow {
  alertId: string;
  tenantId: string;
  name: string;
  budgetId: string;
  userId: string;
  apiKeyId: string;
  period: BudgetPeriodKind;
  thresholds: Threshold[];
  channels: Channel[];
  enabled: boolean;
  version: bigint;
  createTime: Date;
  updateTime: Date;
  updatedBy: string;
}

/**
 * Whether spend has crossed a threshold. Percent thresholds compare against the budget's money
 * cap, or its token cap when it has none, in exact integers (spent x 100 >= limit x percent).
 */
export function crossed(threshold: Threshold, spent: { nanos: bigint; tokens: bigint }, limits: { nanos?: bigint | undefined; tokens?: bigint | undefined }): boolean {
  if ('amountNanos' in threshold) return spent.nanos >= threshold.amountNanos;
  const pct = BigInt(threshold.percent);
  if (limits.nanos !== undefined) return spent.nanos * 100n >= limits.nanos * pct;
  if (limits.tokens !== undefined) return spent.tokens * 100n >= limits.tokens * pct;
  return false;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** HTTPS, or HTTP to a loopback address only. */
export function webhookUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK.test(url.hostname)) return undefined;
  return 'must be https:// (http:// only for loopback addresses)';
}

const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$|^[^\s@<>(),;:"]+@localhost$/;

export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}
