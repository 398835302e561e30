import type { SqlDatabase, SqlExecutor } from '@aegis/shared';
import { uuidv7 } from 'uuidv7';
import { appliesTo, budgetPeriodAt, fits, type BudgetRow, type Estimate, type PeriodCounters } from '../budgets/budget.js';
import { countersFromRow, type BudgetStore } from '../budgets/budget-store.js';
import type { BudgetState } from '../budgets/budget-book.js';
import type { TenantZones } from '../periods/tenant-zones.js';
import { reservationFromRow, STATE_CODE, type DbReservation, type ReservationRow } from './reservation.js';

export interface ReserveInput {
  tenantId: string;
  userId: string;
  apiKeyId: string;
  requestId: string;
  estimate: Estimate;
  ttlMs: number;
}

export type ReserveResult =
  | { allowed: true; reservation: ReservationRow; states: BudgetState[]; existing: boolean }
  | { allowed: false; blockingBudgetId: string; states: BudgetState[] };

/**
 * Reservations with Postgres row locks. The counters of every budget a request counts against
 * are locked (SELECT ... FOR UPDATE, in budget id order, so two reservations never deadlock),
 * checked and raised in one transaction: concurrent reservations on any number of instances
 * queue on the rows and each sees the holds of those before it, so a hard budget is never
 * promised twice. The ledger books spend into the same rows, and takes a settled hold off in
 * the same transaction, so holds and spend never disagree. Lock order everywhere: reservation
 * rows first, then budget period rows.
 */
export class ReservationStore {
  constructor(private readonly opts: { db: SqlDatabase; budgets: BudgetStore; zones: TenantZones }) {}

  async byRequest(tenantId: string, requestId: string, executor: SqlExecutor = this.opts.db): Promise<ReservationRow | undefined> {
    const result = await executor.query<DbReservation>('SELECT * FROM reservations WHERE tenant_id = $1 AND request_id = $2', [tenantId, requestId]);
    return result.rows[0] === undefined ? undefined : reservationFromRow(result.rows[0]);
  }

  async get(tenantId: string, reservationId: string, executor: SqlExecutor = this.opts.db, lock = false): Promise<ReservationRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(reservationId)) return undefined;
    const result = await executor.query<DbReservation>(`SELECT * FROM reservations WHERE tenant_id = $1 AND reservation_id = $2${lock ? ' FOR UPDATE' : ''}`, [tenantId, reservationId]);
    return result.rows[0] === undefined ? undefined : reservationFromRow(result.rows[0]);
  }

  async reserve(input: ReserveInput, now: Date): Promise<ReserveResult> {
    return this.opts.db.transaction(async (tx) => {
      const budgets = (await this.opts.budgets.ofTenants([input.tenantId], tx)).filter((b) => appliesTo(b, input.userId, input.apiKeyId));
      const existing = await this.byRequest(input.tenantId, input.requestId, tx);
      if (existing !== undefined) return { allowed: true, reservation: existing, states: await this.lockedStates(tx, budgets, now, false), existing: true };
      const states = await this.lockedStates(tx, budgets, now, true);
      const blocking = states.find((s) => !fits(s.budget, s.counters, input.estimate));
      if (blocking !== undefined) return { allowed: false, blockingBudgetId: blocking.budget.budgetId, states };
      for (const s of states) {
        await tx.query('UPDATE budget_periods SET reserved_nanos = reserved_nanos + $3, reserved_tokens = reserved_tokens + $4 WHERE budget_id = $1 AND period_start = $2',
          [s.budget.budgetId, s.period.start, input.estimate.nanos.toString(), input.estimate.tokens.toString()]);
        s.counters = { ...s.counters, reservedNanos: s.counters.reservedNanos + input.estimate.nanos, reservedTokens: s.counters.reservedTokens + input.estimate.tokens };
      }
      const reservation: ReservationRow = {
        reservationId: uuidv7(), tenantId: input.tenantId, userId: input.userId, apiKeyId: input.apiKeyId, requestId: input.requestId,
        amountNanos: input.estimate.nanos, tokens: input.estimate.tokens, holdNanos: input.estimate.nanos, holdTokens: input.estimate.tokens,
        holds: states.map((s) => ({ budgetId: s.budget.budgetId, periodStart: s.period.start.toISOString() })), holdActive: true, state: 'held',
        createTime: now, expireTime: new Date(now.getTime() + input.ttlMs), settleTime: undefined, committedNanos: 0n, committedTokens: 0n,
        usageEventId: uuidv7(), booked: false,
      };
      await tx.query(
        `INSERT INTO reservations (reservation_id, tenant_id, user_id, api_key_id, request_id, amount_nanos, tokens, hold_nanos, hold_tokens, holds,
           hold_active, status, create_time, expire_time, usage_event_id)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10::jsonb,true,1,$11,$12,$13)`,
        [reservation.reservationId, reservation.tenantId, reservation.userId, reservation.apiKeyId, reservation.requestId, reservation.amountNanos.toString(),
          reservation.tokens.toString(), reservation.holdNanos.toString(), reservation.holdTokens.toString(), JSON.stringify(reservation.holds),
          reservation.createTime, reservation.expireTime, reservation.usageEventId]);
      return { allowed: true, reservation, states, existing: false };
    });
  }

  /** The budgets' current period rows, created if missing and (when `lock`) locked in id order. */
  private async lockedStates(tx: SqlExecutor, budgets: readonly BudgetRow[], now: Date, lock: boolean): Promise<BudgetState[]> {
    const states: BudgetState[] = [];
    for (const budget of [...budgets].sort((a, b) => (a.budgetId < b.budgetId ? -1 : 1))) {
      const period = budgetPeriodAt(budget, now, this.opts.zones.zoneOf(budget.tenantId));
      if (period === undefined) continue;
      await tx.query('INSERT INTO budget_periods (budget_id, period_start, period_end) VALUES ($1, $2, $3) ON CONFLICT (budget_id, period_start) DO NOTHING',
        [budget.budgetId, period.start, period.end ?? null]);
      const result = await tx.query<Parameters<typeof countersFromRow>[0]>(
        `SELECT budget_id, period_start, spent_nanos, spent_tokens, reserved_nanos, reserved_tokens FROM budget_periods WHERE budget_id = $1 AND period_start = $2${lock ? ' FOR UPDATE' : ''}`,
        [budget.budgetId, period.start]);
      const counters: PeriodCounters = countersFromRow(result.rows[0]!);
      states.push({ budget, period, counters });
    }
    return states;
  }

  /**
   * Settles a held (or expired) reservation with its actual usage: the hold becomes the actual
   * amount until the ledger books the usage event (which then takes it off). Returns the row
   * after the change; a reservation already committed is returned unchanged.
   */
  async commit(tenantId: string, reservationId: string, actual: Estimate, now: Date): Promise<ReservationRow | undefined> {
    return this.opts.db.transaction(async (tx) => {
      const r = await this.get(tenantId, reservationId, tx, true);
      if (r === undefined || r.state === 'committed' || r.state === 'released') return r;
      if (r.holdActive) {
        await this.adjustHolds(tx, r, actual.nanos - r.holdNanos, actual.tokens - r.holdTokens);
      }
      await tx.query(
        `UPDATE reservations SET status = 2, settle_time = $3, committed_amount_nanos = $4, committed_tokens = $5,
           hold_nanos = CASE WHEN hold_active THEN $4::bigint ELSE hold_nanos END, hold_tokens = CASE WHEN hold_active THEN $5::bigint ELSE hold_tokens END
         WHERE tenant_id = $1 AND reservation_id = $2`,
        [tenantId, reservationId, now, actual.nanos.toString(), actual.tokens.toString()]);
      return { ...r, state: 'committed', settleTime: now, committedNanos: actual.nanos, committedTokens: actual.tokens };
    });
  }

  /** Gives a held reservation's budget back (released, or expired by the sweeper). */
  async release(tenantId: string, reservationId: string, now: Date, to: 'released' | 'expired', executor?: SqlExecutor): Promise<ReservationRow | undefined> {
    const run = async (tx: SqlExecutor) => {
      const r = await this.get(tenantId, reservationId, tx, true);
      if (r === undefined || r.state !== 'held') return r;
      if (r.holdActive) await this.adjustHolds(tx, r, -r.holdNanos, -r.holdTokens);
      await tx.query('UPDATE reservations SET status = $3, settle_time = $4, hold_active = false WHERE tenant_id = $1 AND reservation_id = $2',
        [tenantId, reservationId, STATE_CODE[to], now]);
      return { ...r, state: to, settleTime: now, holdActive: false };
    };
    return executor !== undefined ? run(executor) : this.opts.db.transaction(run);
  }

  /** Releases every held reservation past its expiry; returns how many. */
  async expireDue(now: Date, limit = 500): Promise<number> {
    return this.opts.db.transaction(async (tx) => {
      const due = await tx.query<{ tenant_id: string; reservation_id: string }>(
        'SELECT tenant_id, reservation_id FROM reservations WHERE status = 1 AND expire_time <= $1 ORDER BY reservation_id LIMIT $2 FOR UPDATE SKIP LOCKED', [now, limit]);
      for (const row of due.rows) await this.release(row.tenant_id, row.reservation_id, now, 'expired', tx);
      return due.rows.length;
    });
  }

  private async adjustHolds(tx: SqlExecutor, r: ReservationRow, nanos: bigint, tokens: bigint): Promise<void> {
    if (nanos === 0n && tokens === 0n) return;
    for (const hold of [...r.holds].sort((a, b) => (a.budgetId < b.budgetId ? -1 : 1))) {
      await tx.query('UPDATE budget_periods SET reserved_nanos = reserved_nanos + $3, reserved_tokens = reserved_tokens + $4 WHERE budget_id = $1 AND period_start = $2',
        [hold.budgetId, new Date(hold.periodStart), nanos.toString(), tokens.toString()]);
    }
  }
}
