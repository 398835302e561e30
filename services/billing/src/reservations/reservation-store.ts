import { unavailable, type ActorInit, type SqlDatabase, type SqlExecutor } from '@aegis/shared';
import { uuidv7 } from 'uuidv7';
import { appliesTo, budgetPeriodAt, type BudgetRow, type Estimate, type PeriodCounters } from '../budgets/budget.js';
import type { BudgetState } from '../budgets/budget-book.js';
import type { TenantBudgets } from '../budgets/tenant-budgets.js';
import { cappedTokens, type Tokens } from '@aegis/pricing';
import type { Interval } from '../periods/period.js';
import type { TenantZones } from '../periods/tenant-zones.js';
import { reservationFromRow, STATE_CODE, type DbReservation, type ReservationRow } from './reservation.js';

export interface ReserveInput {
  tenantId: string;
  userId: string;
  apiKeyId: string;
  requestId: string;
  estimate: Estimate;
  ttlMs: number;
  /** A shared hold (budget allowance): the estimate covers several requests, each settled with `settle`. */
  shared?: boolean;
}

export type ReserveResult =
  | { allowed: true; reservation: ReservationRow; states: BudgetState[]; existing: boolean }
  | { allowed: false; blockingBudgetId: string; states: BudgetState[] };

/** What a commit's usage event says beyond the reservation's own fields. */
export interface CommittedUsage {
  provider: string;
  model: string;
  tokens: Tokens;
  occurTime: Date;
  estimated: boolean;
  agentId: string;
  actor: ActorInit;
  /** The commit's trace context (W3C headers), for the relay to publish the event in. */
  trace?: Record<string, string>;
}

/** One usage carved from a shared hold, priced by the service (`nanos`) before `settle`. */
export interface SettlingUsage extends CommittedUsage {
  /** The UsageEvent id the caller chose (a UUID, lower case): the idempotency key. */
  eventId: string;
  requestId: string;
  nanos: bigint;
}

export type SettleResult =
  | {
    outcome: 'settled'; hold: ReservationRow; costs: { eventId: string; nanos: bigint }[];
    /** The tenant's budgets (ids, versions) differ from those the hold was reserved under. */
    budgetsChanged: boolean;
  }
  | { outcome: 'missing' | 'not_shared' }
  | { outcome: 'conflict'; eventId: string };

/** A budget period's counters as reserve_budget returns them (bigints as text). */
interface DbCounters {
  budget_id: string;
  period_start: string;
  spent_nanos: string;
  spent_tokens: string;
  reserved_nanos: string;
  reserved_tokens: string;
}

/** Budgets changed under three reservations in a row: give up rather than spin. */
const STALE_ATTEMPTS = 3;

function statesOf(live: readonly { budget: BudgetRow; period: Interval }[], rows: readonly DbCounters[]): BudgetState[] {
  const byBudget = new Map(rows.map((r) => [r.budget_id, r]));
  return live.map(({ budget, period }) => {
    const row = byBudget.get(budget.budgetId);
    const counters: PeriodCounters = row === undefined
      ? { spentNanos: 0n, spentTokens: 0n, reservedNanos: 0n, reservedTokens: 0n }
      : { spentNanos: BigInt(row.spent_nanos), spentTokens: BigInt(row.spent_tokens), reservedNanos: BigInt(row.reserved_nanos), reservedTokens: BigInt(row.reserved_tokens) };
    return { budget, period, counters };
  });
}

/**
 * Reservations with Postgres row locks. The counters of every budget a request counts against
 * are locked (in budget id order, so two reservations never deadlock), checked and raised in one
 * transaction: concurrent reservations on any number of instances queue on the rows and each
 * sees the holds of those before it, so a hard budget is never promised twice. Reserve and
 * commit are SQL functions (migrations/0004_reservation_functions.sql), one round trip each,
 * so the rows stay locked for the function's run only, never across network round trips. The
 * ledger books spend into the same rows, and takes a settled hold off in the same transaction,
 * so holds and spend never disagree. Lock order everywhere: reservation rows first, then budget
 * period rows.
 */
export class ReservationStore {
  constructor(private readonly opts: { db: SqlDatabase; budgets: TenantBudgets; zones: TenantZones }) {}

  async byRequest(tenantId: string, requestId: string, executor: SqlExecutor = this.opts.db): Promise<ReservationRow | undefined> {
    const result = await executor.query<DbReservation>('SELECT * FROM reservations WHERE tenant_id = $1 AND request_id = $2', [tenantId, requestId]);
    return result.rows[0] === undefined ? undefined : reservationFromRow(result.rows[0]);
  }

  async get(tenantId: string, reservationId: string, executor: SqlExecutor = this.opts.db, lock = false): Promise<ReservationRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(reservationId)) return undefined;
    const result = await executor.query<DbReservation>(`SELECT * FROM reservations WHERE tenant_id = $1 AND reservation_id = $2${lock ? ' FOR UPDATE' : ''}`, [tenantId, reservationId]);
    return result.rows[0] === undefined ? undefined : reservationFromRow(result.rows[0]);
  }

  /**
   * Holds the estimate on the budgets that apply, or refuses: one reserve_budget call (one round
   * trip; migrations/0004 says how it stays exact). The tenant's budgets come from memory; the
   * function checks them against the table and answers `stale` when they changed, and then
   * this reloads them and calls again.
   */
  async reserve(input: ReserveInput, now: Date): Promise<ReserveResult> {
    for (let attempt = 1; ; attempt++) {
      const known = await this.opts.budgets.of(input.tenantId);
      const live = this.livePeriods(known.filter((b) => appliesTo(b, input.userId, input.apiKeyId)), now);
      const reservation = this.newReservation(input, live, now);
      const result = await this.opts.db.query<{ outcome: 'stale' | 'existing' | 'blocked' | 'reserved'; blocking_budget_id: string | null; counters: DbCounters[] | string }>(
        `SELECT outcome, blocking_budget_id, counters FROM reserve_budget($1, $2, $3::jsonb, $4, $5, $6::uuid[], $7::bigint[], $8::uuid[], $9::timestamptz[], $10::timestamptz[])`,
        [input.tenantId, input.requestId, JSON.stringify({
          reservation_id: reservation.reservationId, user_id: reservation.userId, api_key_id: reservation.apiKeyId, holds: reservation.holds,
          create_time: reservation.createTime.toISOString(), expire_time: reservation.expireTime.toISOString(), usage_event_id: reservation.usageEventId,
          shared: reservation.shared,
        }), input.estimate.nanos.toString(), input.estimate.tokens.toString(),
        known.map((b) => b.budgetId), known.map((b) => b.version.toString()),
        live.map((l) => l.budget.budgetId), live.map((l) => l.period.start.toISOString()), live.map((l) => l.period.end?.toISOString() ?? null)]);
      const { outcome, blocking_budget_id: blocking, counters } = result.rows[0]!;
      if (outcome === 'stale') {
        this.opts.budgets.forget(input.tenantId);
        if (attempt < STALE_ATTEMPTS) continue;
        throw unavailable(`the budgets of tenant ${input.tenantId} are changing; retry the reservation`);
      }
      const states = statesOf(live, typeof counters === 'string' ? (JSON.parse(counters) as DbCounters[]) : counters);
      if (outcome === 'blocked') return { allowed: false, blockingBudgetId: blocking!, states };
      if (outcome === 'existing') {
        // The retry of a request already reserved: its reservation, read only on this rare path.
        const existing = await this.byRequest(input.tenantId, input.requestId);
        if (existing === undefined) throw new Error(`reservation of request ${input.requestId} not found after reserve_budget saw it`);
        return { allowed: true, reservation: existing, states, existing: true };
      }
      for (const s of states) {
        s.counters = { ...s.counters, reservedNanos: s.counters.reservedNanos + input.estimate.nanos, reservedTokens: s.counters.reservedTokens + input.estimate.tokens };
      }
      return { allowed: true, reservation, states, existing: false };
    }
  }

  /** The budgets' current periods (a fixed budget outside its window has none), in budget id order. */
  private livePeriods(budgets: readonly BudgetRow[], now: Date): { budget: BudgetRow; period: Interval }[] {
    const live: { budget: BudgetRow; period: Interval }[] = [];
    for (const budget of [...budgets].sort((a, b) => (a.budgetId < b.budgetId ? -1 : 1))) {
      const period = budgetPeriodAt(budget, now, this.opts.zones.zoneOf(budget.tenantId));
      if (period !== undefined) live.push({ budget, period });
    }
    return live;
  }

  private newReservation(input: ReserveInput, live: readonly { budget: BudgetRow; period: Interval }[], now: Date): ReservationRow {
    return {
      reservationId: uuidv7(), tenantId: input.tenantId, userId: input.userId, apiKeyId: input.apiKeyId, requestId: input.requestId,
      amountNanos: input.estimate.nanos, tokens: input.estimate.tokens, holdNanos: input.estimate.nanos, holdTokens: input.estimate.tokens,
      holds: live.map((l) => ({ budgetId: l.budget.budgetId, periodStart: l.period.start.toISOString() })), holdActive: true, state: 'held',
      createTime: now, expireTime: new Date(now.getTime() + input.ttlMs), settleTime: undefined, committedNanos: 0n, committedTokens: 0n,
      usageEventId: uuidv7(), booked: false, shared: input.shared === true,
    };
  }

  /**
   * Settles a held (or expired) reservation with its actual usage and writes its usage event to
   * the outbox, in one commit_reservation call (one round trip, one transaction): the hold
   * becomes the actual amount until the ledger books the event, which then takes it off. Returns
   * the row after the change; one already committed or released is returned unchanged.
   */
  async commit(tenantId: string, reservationId: string, actual: Estimate, usage: CommittedUsage, now: Date): Promise<ReservationRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(reservationId)) return undefined;
    const result = await this.opts.db.query<DbReservation>('SELECT * FROM commit_reservation($1, $2, $3, $4, $5, $6::jsonb)', [
      tenantId, reservationId, actual.nanos.toString(), actual.tokens.toString(), now, JSON.stringify({
        provider: usage.provider, model: usage.model, prompt_tokens: usage.tokens.prompt.toString(), completion_tokens: usage.tokens.completion.toString(),
        cached_prompt_tokens: usage.tokens.cachedPrompt.toString(), cache_write_tokens: usage.tokens.cacheWrite.toString(),
        reasoning_tokens: usage.tokens.reasoning.toString(), agent_id: usage.agentId, occur_time: usage.occurTime.toISOString(),
        estimated: usage.estimated, actor: usage.actor, trace: usage.trace ?? null,
      }),
    ]);
    return result.rows[0] === undefined ? undefined : reservationFromRow(result.rows[0]);
  }

  /**
   * Books usages against a shared hold and writes their usage events to the outbox, in one
   * settle_usage call (one round trip, one transaction; migrations/0005 says how the cost moves
   * from the shared hold to each usage's own hold, which the ledger turns into spend). A
   * repeated event id answers its first cost and writes nothing; the hold stays open.
   */
  async settle(tenantId: string, reservationId: string, usages: readonly SettlingUsage[], now: Date): Promise<SettleResult> {
    if (!/^[0-9a-f-]{36}$/i.test(reservationId)) return { outcome: 'missing' };
    const payload = JSON.stringify(usages.map((u) => ({
      event_id: u.eventId, nanos: u.nanos.toString(), tokens: cappedTokens(u.tokens).toString(), provider: u.provider, model: u.model,
      prompt_tokens: u.tokens.prompt.toString(), completion_tokens: u.tokens.completion.toString(), cached_prompt_tokens: u.tokens.cachedPrompt.toString(),
      cache_write_tokens: u.tokens.cacheWrite.toString(), reasoning_tokens: u.tokens.reasoning.toString(), agent_id: u.agentId, request_id: u.requestId,
      occur_time: u.occurTime.toISOString(), estimated: u.estimated, actor: u.actor, trace: u.trace ?? null,
    })));
    const call = () => this.opts.db.query<{ outcome: SettleResult['outcome']; conflict_event_id: string | null; costs: { event_id: string; nanos: string }[] | string; hold: DbReservation | string | null; budgets_changed: boolean | null }>(
      'SELECT outcome, conflict_event_id, costs, hold, budgets_changed FROM settle_usage($1, $2, $3, $4::jsonb)', [tenantId, reservationId, now, payload]);
    let result;
    try {
      result = await call();
    } catch (err) {
      // An event id inserted concurrently by another settle: called again, it is a replay or a conflict.
      if ((err as { code?: unknown }).code !== '23505') throw err;
      result = await call();
    }
    const row = result.rows[0]!;
    if (row.outcome === 'conflict') return { outcome: 'conflict', eventId: row.conflict_event_id! };
    if (row.outcome !== 'settled') return { outcome: row.outcome };
    const costs = typeof row.costs === 'string' ? (JSON.parse(row.costs) as { event_id: string; nanos: string }[]) : row.costs;
    const hold = typeof row.hold === 'string' ? (JSON.parse(row.hold) as DbReservation) : row.hold!;
    return {
      outcome: 'settled', hold: reservationFromRow(hold), costs: costs.map((c) => ({ eventId: c.event_id, nanos: BigInt(c.nanos) })),
      budgetsChanged: row.budgets_changed !== false,
    };
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
