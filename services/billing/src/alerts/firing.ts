import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { CostAlertState } from '@aegis/proto/aegis/events/v1/cost_alert_event_pb.js';
import { createEvent, encodeEvent, type SqlExecutor } from '@aegis/shared';
import { uuidv7 } from 'uuidv7';
import type { BudgetRow } from '../budgets/budget.js';
import { money } from '../money/proto-mapping.js';
import { periodContaining, type Interval } from '../periods/period.js';
import type { TenantZones } from '../periods/tenant-zones.js';
import { usageTotals } from '../usage/usage-query.js';
import type { BookingEffects } from '../usage/ledger-writer.js';
import { crossed, type AlertRow, type Threshold } from './alert.js';
import { thresholdsJson, type AlertStore } from './alert-store.js';

export const COST_ALERT_TRIGGERED = 'cost_alert.triggered';
export const COST_ALERT_RESOLVED = 'cost_alert.resolved';

export interface FiringContext {
  alerts: AlertStore;
  zones: TenantZones;
  currency: string;
  now: () => number;
}

/** The CostAlertEvent envelope of a firing or its resolution. */
export function costAlertEvent(alert: Pick<AlertRow, 'alertId' | 'tenantId' | 'name' | 'budgetId' | 'userId' | 'apiKeyId'>, threshold: Threshold, state: 'triggered' | 'resolved',
  spentNanos: bigint, limitNanos: bigint | undefined, period: Interval, currency: string): Event {
  return createEvent({
    source: 'billing',
    tenantId: alert.tenantId,
    actor: { id: 'billing' },
    action: state === 'triggered' ? COST_ALERT_TRIGGERED : COST_ALERT_RESOLVED,
    payload: {
      case: 'costAlert',
      value: {
        alertId: alert.alertId, alertName: alert.name, budgetId: alert.budgetId, userId: alert.userId, apiKeyId: alert.apiKeyId,
        state: state === 'triggered' ? CostAlertState.TRIGGERED : CostAlertState.RESOLVED,
        threshold: 'amountNanos' in threshold ? { case: 'thresholdAmount', value: money(currency, threshold.amountNanos) } : { case: 'thresholdPercent', value: threshold.percent },
        spent: money(currency, spentNanos),
        ...(limitNanos !== undefined ? { limit: money(currency, limitNanos) } : {}),
        period: { startTime: timestampFromDate(period.start), ...(period.end !== undefined ? { endTime: timestampFromDate(period.end) } : {}) },
      },
    },
  });
}

/** Queues the deliveries of an event: the alerts topic always, then every channel of the alert. */
export async function queueDeliveries(tx: SqlExecutor, alert: Pick<AlertRow, 'tenantId' | 'channels'>, firingId: string, event: Event, at: Date): Promise<void> {
  const bytes = encodeEvent(event);
  const targets: { channel: string; target: unknown }[] = [{ channel: 'event', target: {} }];
  for (const c of alert.channels) targets.push('webhook' in c ? { channel: 'webhook', target: c.webhook } : { channel: 'email', target: c.email });
  for (const t of targets) {
    await tx.query(
      'INSERT INTO alert_deliveries (delivery_id, tenant_id, firing_id, channel, target, event, next_attempt_at) VALUES ($1,$2,$3,$4,$5::jsonb,$6,$7)',
      [uuidv7(), alert.tenantId, firingId, t.channel, JSON.stringify(t.target), bytes, at]);
  }
}

interface Window {
  period: Interval;
  spent: { nanos: bigint; tokens: bigint };
}

/**
 * Runs in the booking transaction: every enabled alert whose budget or subject gained spend is
 * compared with its thresholds in each period that gained spend (the period of the usage's
 * occur_time, not of the clock, so late usage counts where it belongs); a threshold crossed for
 * the first time in its period inserts its firing (the unique (alert, threshold, period) row is
 * what makes it fire once) and queues its deliveries in the same transaction. Returns the
 * number of new firings.
 */
export async function fireCrossedAlerts(tx: SqlExecutor, effects: BookingEffects, fc: FiringContext): Promise<number> {
  const alerts = await fc.alerts.enabledOf(effects.tenants, tx);
  if (alerts.length === 0) return 0;
  const budgets = new Map<string, BudgetRow>(effects.budgets.map((b) => [b.budgetId, b]));
  await lockSubjectAlertTenants(tx, alerts);
  const now = new Date(fc.now());
  let fired = 0;
  for (const alert of alerts) {
    const budget = alert.budgetId !== '' ? budgets.get(alert.budgetId) : undefined;
    const windows = alert.budgetId !== '' ? budgetWindows(alert, budget, effects) : await subjectWindows(tx, alert, effects, fc);
    for (const { period, spent } of windows) {
      for (const [index, threshold] of alert.thresholds.entries()) {
        if (!crossed(threshold, spent, { nanos: budget?.amountLimit, tokens: budget?.tokenLimit })) continue;
        const event = costAlertEvent(alert, threshold, 'triggered', spent.nanos, budget?.amountLimit, period, fc.currency);
        const firingId = uuidv7();
        const inserted = await tx.query(
          `INSERT INTO alert_firings (firing_id, tenant_id, alert_id, threshold_index, threshold, period_start, period_end, state, spent_nanos, fire_time, event_id)
           VALUES ($1,$2,$3,$4,$5::jsonb,$6,$7,1,$8,$9,$10) ON CONFLICT (alert_id, threshold_index, period_start) DO NOTHING`,
          [firingId, alert.tenantId, alert.alertId, index, thresholdsJson([threshold]), period.start, period.end ?? null, spent.nanos.toString(), now, event.id]);
        if (inserted.rowCount !== 1) continue;
        await queueDeliveries(tx, alert, firingId, event, now);
        fired++;
      }
    }
  }
  return fired;
}

/**
 * Subject alerts sum the rollups, rows that concurrent booking transactions (one per partition)
 * write without locking each other out; two batches could each miss the other's uncommitted
 * spend and neither fire. A transaction-scoped lock per tenant (sorted, so no deadlock)
 * serialises the evaluations: the later one reads after the earlier one committed.
 */
async function lockSubjectAlertTenants(tx: SqlExecutor, alerts: readonly AlertRow[]): Promise<void> {
  const tenants = [...new Set(alerts.filter((a) => a.budgetId === '' && a.period !== 'fixed').map((a) => a.tenantId))].sort();
  for (const tenantId of tenants) await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`aegis.billing.alerts/${tenantId}`]);
}

/** Every period of the budget that gained spend in this transaction, with its counters (row-locked, so current). */
function budgetWindows(alert: AlertRow, budget: BudgetRow | undefined, effects: BookingEffects): Window[] {
  if (budget === undefined) return [];
  return effects.periods.filter((p) => p.budgetId === alert.budgetId)
    .map((p) => ({ period: { start: p.periodStart, end: p.periodEnd }, spent: { nanos: p.spentNanos, tokens: p.spentTokens } }));
}

/** The subject's spend in every period (of the alert's calendar, in the tenant's zone) that contains new usage. */
async function subjectWindows(tx: SqlExecutor, alert: AlertRow, effects: BookingEffects, fc: FiringContext): Promise<Window[]> {
  if (alert.period === 'fixed') return [];
  const zone = fc.zones.zoneOf(alert.tenantId);
  const periods = new Map<number, Interval & { end: Date }>();
  for (const s of effects.subjects) {
    if (s.tenantId !== alert.tenantId || (alert.userId !== '' && s.userId !== alert.userId) || (alert.apiKeyId !== '' && s.apiKeyId !== alert.apiKeyId)) continue;
    for (const bucket of s.bucketStarts) {
      if ([...periods.values()].some((p) => bucket >= p.start.getTime() && bucket < p.end.getTime())) continue;
      const p = periodContaining(new Date(bucket), alert.period, zone);
      periods.set(p.start.getTime(), p);
    }
  }
  const windows: Window[] = [];
  for (const period of periods.values()) {
    const { totals } = await usageTotals(tx, { tenantId: alert.tenantId, userId: alert.userId, apiKeyId: alert.apiKeyId, start: period.start, end: period.end });
    windows.push({ period, spent: { nanos: totals.costNanos, tokens: totals.tokens.prompt + totals.tokens.completion } });
  }
  return windows;
}

/** Resolves firings whose period has ended and queues their "resolved" deliveries. */
export async function resolveEndedFirings(db: { transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> }, fc: FiringContext, at: Date): Promise<number> {
  return db.transaction(async (tx) => {
    const ended = await tx.query<{ firing_id: string; tenant_id: string; alert_id: string; threshold: unknown; period_start: Date | string; period_end: Date | string; spent_nanos: string }>(
      `SELECT firing_id, tenant_id, alert_id, threshold, period_start, period_end, spent_nanos FROM alert_firings
       WHERE state = 1 AND period_end <= $1 ORDER BY firing_id LIMIT 200 FOR UPDATE SKIP LOCKED`, [at]);
    for (const f of ended.rows) {
      await tx.query('UPDATE alert_firings SET state = 2, resolve_time = $2 WHERE firing_id = $1', [f.firing_id, at]);
      const alert = await fc.alerts.get(f.tenant_id, f.alert_id, tx);
      const stored = (typeof f.threshold === 'string' ? JSON.parse(f.threshold) : f.threshold) as ({ amount: string } | { percent: number })[];
      const threshold: Threshold = 'amount' in stored[0]! ? { amountNanos: BigInt(stored[0].amount) } : { percent: stored[0]!.percent };
      const who = alert ?? { alertId: f.alert_id, tenantId: f.tenant_id, name: '', budgetId: '', userId: '', apiKeyId: '', channels: [] };
      const event = costAlertEvent(who, threshold, 'resolved', BigInt(f.spent_nanos), undefined, { start: new Date(f.period_start), end: new Date(f.period_end) }, fc.currency);
      await queueDeliveries(tx, who, f.firing_id, event, at);
    }
    return ended.rows.length;
  });
}
