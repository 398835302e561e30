import type { SqlExecutor } from '@aegis/shared';
import { periodCode } from '../budgets/budget-store.js';
import type { BudgetPeriodKind } from '../budgets/budget.js';
import type { AlertRow, Channel, Threshold } from './alert.js';

interface Row {
  alert_id: string; tenant_id: string; name: string; budget_id: string; user_id: string; api_key_id: string; period: number;
  thresholds: unknown; channels: unknown; enabled: boolean; version: string; create_time: Date | string; update_time: Date | string; updated_by: string;
}

type StoredThreshold = { amount: string } | { percent: number };
const PERIODS: readonly BudgetPeriodKind[] = ['day', 'week', 'month', 'fixed'];
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

function fromRow(r: Row): AlertRow {
  return {
    alertId: r.alert_id, tenantId: r.tenant_id, name: r.name, budgetId: r.budget_id, userId: r.user_id, apiKeyId: r.api_key_id,
    period: PERIODS[r.period - 1] ?? 'month',
    thresholds: json<StoredThreshold[]>(r.thresholds).map((t) => ('amount' in t ? { amountNanos: BigInt(t.amount) } : { percent: t.percent })),
    channels: json<Channel[]>(r.channels), enabled: r.enabled, version: BigInt(r.version),
    createTime: new Date(r.create_time), updateTime: new Date(r.update_time), updatedBy: r.updated_by,
  };
}

export function thresholdsJson(thresholds: readonly Threshold[]): string {
  return JSON.stringify(thresholds.map((t) => ('amountNanos' in t ? { amount: t.amountNanos.toString() } : { percent: t.percent })));
}

function params(a: AlertRow): unknown[] {
  return [a.alertId, a.tenantId, a.name, a.budgetId, a.userId, a.apiKeyId, periodCode(a.period), thresholdsJson(a.thresholds), JSON.stringify(a.channels),
    a.enabled, a.version.toString(), a.createTime, a.updateTime, a.updatedBy];
}

export class AlertStore {
  constructor(private readonly db: SqlExecutor) {}

  async insert(a: AlertRow): Promise<void> {
    await this.db.query(
      `INSERT INTO cost_alerts (alert_id, tenant_id, name, budget_id, user_id, api_key_id, period, thresholds, channels, enabled, version, create_time, update_time, updated_by)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8::jsonb,$9::jsonb,$10,$11,$12,$13,$14)`, params(a));
  }

  async update(a: AlertRow, expectedVersion: bigint): Promise<boolean> {
    const p = params(a);
    const result = await this.db.query(
      `UPDATE cost_alerts SET name=$3, budget_id=$4, user_id=$5, api_key_id=$6, period=$7, thresholds=$8::jsonb, channels=$9::jsonb, enabled=$10, version=$11,
         update_time=$12, updated_by=$13 WHERE alert_id=$1 AND tenant_id=$2 AND version=$14::bigint`,
      [...p.slice(0, 11), p[12], p[13], expectedVersion.toString()]);
    return result.rowCount === 1;
  }

  async delete(tenantId: string, alertId: string, expectedVersion: bigint): Promise<boolean> {
    const result = await this.db.query('DELETE FROM cost_alerts WHERE tenant_id=$1 AND alert_id=$2 AND ($3::bigint = 0 OR version = $3::bigint)', [tenantId, alertId, expectedVersion.toString()]);
    return result.rowCount === 1;
  }

  async get(tenantId: string, alertId: string, executor: SqlExecutor = this.db): Promise<AlertRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(alertId)) return undefined;
    const result = await executor.query<Row>('SELECT * FROM cost_alerts WHERE tenant_id=$1 AND alert_id=$2', [tenantId, alertId]);
    return result.rows[0] === undefined ? undefined : fromRow(result.rows[0]);
  }

  async list(tenantId: string, budgetId: string, limit: number, offset: number): Promise<AlertRow[]> {
    const result = await this.db.query<Row>(
      `SELECT * FROM cost_alerts WHERE tenant_id=$1 AND ($2 = '' OR budget_id = $2) ORDER BY name, alert_id LIMIT $3 OFFSET $4`, [tenantId, budgetId, limit, offset]);
    return result.rows.map(fromRow);
  }

  async enabledOf(tenantIds: readonly string[], executor: SqlExecutor): Promise<AlertRow[]> {
    const result = await executor.query<Row>('SELECT * FROM cost_alerts WHERE enabled AND tenant_id = ANY($1::text[])', [tenantIds]);
    return result.rows.map(fromRow);
  }
}
