import type { SqlExecutor } from '@aegis/shared';
import type { BudgetPeriodKind, BudgetRow, Enforcement, PeriodCounters } from './budget.js';

interface Row {
  budget_id: string; tenant_id: string; name: string; user_id: string; api_key_id: string;
  amount_limit_nanos: string | null; currency_code: string; token_limit: string | null; period: number;
  fixed_start_time: Date | string | null; fixed_end_time: Date | string | null; time_zone: string; enforcement: number;
  version: string; create_time: Date | string; update_time: Date | string; updated_by: string;
}

const PERIODS: readonly BudgetPeriodKind[] = ['day', 'week', 'month', 'fixed'];
export const periodCode = (p: BudgetPeriodKind) => PERIODS.indexOf(p) + 1;
const date = (v: Date | string | null) => (v === null ? undefined : new Date(v));

function fromRow(row: Row): BudgetRow {
  return {
    budgetId: row.budget_id, tenantId: row.tenant_id, name: row.name, userId: row.user_id, apiKeyId: row.api_key_id,
    amountLimit: row.amount_limit_nanos === null ? undefined : BigInt(row.amount_limit_nanos), currency: row.currency_code,
    tokenLimit: row.token_limit === null ? undefined : BigInt(row.token_limit), period: PERIODS[row.period - 1]!,
    fixedStart: date(row.fixed_start_time), fixedEnd: date(row.fixed_end_time), timeZone: row.time_zone,
    enforcement: (row.enforcement === 2 ? 'soft' : 'hard') as Enforcement, version: BigInt(row.version),
    createTime: new Date(row.create_time), updateTime: new Date(row.update_time), updatedBy: row.updated_by,
  };
}

function params(b: BudgetRow): unknown[] {
  return [b.budgetId, b.tenantId, b.name, b.userId, b.apiKeyId, b.amountLimit?.toString() ?? null, b.currency, b.tokenLimit?.toString() ?? null,
    periodCode(b.period), b.fixedStart ?? null, b.fixedEnd ?? null, b.timeZone, b.enforcement === 'soft' ? 2 : 1, b.version.toString(),
    b.createTime, b.updateTime, b.updatedBy];
}

export interface CountersRow extends PeriodCounters {
  budgetId: string;
  periodStart: Date;
}

export function countersFromRow(row: { budget_id: string; period_start: Date | string; spent_nanos: string; spent_tokens: string; reserved_nanos: string; reserved_tokens: string }): CountersRow {
  return {
    budgetId: row.budget_id, periodStart: new Date(row.period_start), spentNanos: BigInt(row.spent_nanos), spentTokens: BigInt(row.spent_tokens),
    reservedNanos: BigInt(row.reserved_nanos), reservedTokens: BigInt(row.reserved_tokens),
  };
}

export class BudgetStore {
  constructor(private readonly db: SqlExecutor) {}

  async insert(b: BudgetRow): Promise<void> {
    await this.db.query(
      `INSERT INTO budgets (budget_id, tenant_id, name, user_id, api_key_id, amount_limit_nanos, currency_code, token_limit, period,
         fixed_start_time, fixed_end_time, time_zone, enforcement, version, create_time, update_time, updated_by)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)`, params(b));
  }

  /** Replaces a budget if its version is still `expectedVersion` (0 = any); false otherwise. */
  async update(b: BudgetRow, expectedVersion: bigint): Promise<boolean> {
    const result = await this.db.query(
      `UPDATE budgets SET name=$3, user_id=$4, api_key_id=$5, amount_limit_nanos=$6, currency_code=$7, token_limit=$8, period=$9,
         fixed_start_time=$10, fixed_end_time=$11, time_zone=$12, enforcement=$13, version=$14, update_time=$15, updated_by=$16
       WHERE budget_id=$1 AND tenant_id=$2 AND ($17::bigint = 0 OR version = $17::bigint)`,
      [...params(b).filter((_, i) => i !== 14), expectedVersion.toString()]);
    return result.rowCount === 1;
  }

  async delete(tenantId: string, budgetId: string, expectedVersion: bigint): Promise<boolean> {
    const result = await this.db.query('DELETE FROM budgets WHERE tenant_id=$1 AND budget_id=$2 AND ($3::bigint = 0 OR version = $3::bigint)', [tenantId, budgetId, expectedVersion.toString()]);
    return result.rowCount === 1;
  }

  async get(tenantId: string, budgetId: string): Promise<BudgetRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(budgetId)) return undefined;
    const result = await this.db.query<Row>('SELECT * FROM budgets WHERE tenant_id=$1 AND budget_id=$2', [tenantId, budgetId]);
    return result.rows[0] === undefined ? undefined : fromRow(result.rows[0]);
  }

  /** Budgets of the tenants, ordered by id (the lock order). */
  async ofTenants(tenantIds: readonly string[], executor: SqlExecutor = this.db): Promise<BudgetRow[]> {
    const result = await executor.query<Row>('SELECT * FROM budgets WHERE tenant_id = ANY($1::text[]) ORDER BY budget_id', [tenantIds]);
    return result.rows.map(fromRow);
  }

  async list(tenantId: string, userId: string, apiKeyId: string, limit: number, offset: number): Promise<BudgetRow[]> {
    const result = await this.db.query<Row>(
      `SELECT * FROM budgets WHERE tenant_id=$1 AND ($2 = '' OR user_id = $2) AND ($3 = '' OR api_key_id = $3)
       ORDER BY name, budget_id LIMIT $4 OFFSET $5`, [tenantId, userId, apiKeyId, limit, offset]);
    return result.rows.map(fromRow);
  }

  /** Counters of the given (budget, period start) pairs; missing pairs have none yet. */
  async counters(keys: readonly { budgetId: string; periodStart: Date }[], executor: SqlExecutor = this.db): Promise<CountersRow[]> {
    if (keys.length === 0) return [];
    const result = await executor.query<Parameters<typeof countersFromRow>[0]>(
      `SELECT budget_id, period_start, spent_nanos, spent_tokens, reserved_nanos, reserved_tokens FROM budget_periods
       WHERE budget_id = ANY($1::uuid[]) AND period_start = ANY($2::timestamptz[])`,
      [[...new Set(keys.map((k) => k.budgetId))], [...new Set(keys.map((k) => k.periodStart.toISOString()))]]);
    const wanted = new Set(keys.map((k) => `${k.budgetId}/${k.periodStart.getTime()}`));
    return result.rows.map(countersFromRow).filter((c) => wanted.has(`${c.budgetId}/${c.periodStart.getTime()}`));
  }
}
