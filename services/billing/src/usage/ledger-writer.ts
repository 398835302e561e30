import type { Logger, SqlDatabase, SqlExecutor } from '@aegis/shared';
import { costNanos, cappedTokens } from '../money/cost.js';
import { appliesTo, budgetPeriodAt, type BudgetRow } from '../budgets/budget.js';
import { countersFromRow, type BudgetStore, type CountersRow } from '../budgets/budget-store.js';
import type { TenantZones } from '../periods/tenant-zones.js';
import { priceInForce, tokenPrices } from '../prices/price.js';
import type { PriceStore } from '../prices/price-store.js';
import { releaseHoldsOnBooking } from '../reservations/hold-release.js';
import { columnsOf, unnestRows } from './sql-values.js';
import type { UsageEntry } from './usage-entry.js';

/** An event that cannot be booked, parked in usage_rejected (never skipped silently). */
export interface Rejected {
  topic: string;
  partition: number;
  offset: string;
  eventId: string;
  tenantId: string;
  reason: string;
  payload: Uint8Array;
}

export interface TouchedPeriod extends CountersRow {
  periodEnd: Date | undefined;
}

/** What one booking transaction changed, for the alert evaluator (which runs inside it). */
export interface BookingEffects {
  tenants: string[];
  budgets: BudgetRow[];
  periods: TouchedPeriod[];
  /** Subjects (tenant, user, key) whose spend grew, with the 15-minute buckets of the new usage's occur_time. */
  subjects: SubjectSpend[];
}

export interface SubjectSpend {
  tenantId: string;
  userId: string;
  apiKeyId: string;
  /** Distinct bucket starts (ms); every local period is whole buckets, so these name the periods that grew. */
  bucketStarts: number[];
}

export type AfterBooking = (tx: SqlExecutor, effects: BookingEffects) => Promise<void>;

export interface LedgerWriterDeps {
  db: SqlDatabase;
  prices: PriceStore;
  budgets: BudgetStore;
  zones: TenantZones;
  platformTenantId: string;
  logger: Logger;
  afterBooking?: AfterBooking;
}

const BUCKET_MS = 15 * 60_000;
const LEDGER_CASTS = ['text', 'text', 'text', 'text', 'text', 'text', 'int8', 'int8', 'int8', 'int8', 'int8', 'int8', 'text', 'uuid', 'timestamptz', 'bool', 'text', 'text', 'text'];
const ROLLUP_CASTS = ['text', 'timestamptz', 'text', 'text', 'text', 'text', 'int8', 'int8', 'int8', 'int8', 'int8', 'int8', 'int8', 'int8'];

interface Priced extends UsageEntry {
  cost: bigint;
  currency: string;
  priceId: string;
}

/**
 * Books usage entries in one transaction: the ledger row (its primary key is the dedupe row),
 * the 15-minute rollups, the budget counters and the settlement of reservations, all or
 * nothing. An entry already in the ledger changes nothing, so a redelivered batch is harmless.
 * Returns the number of entries newly booked.
 */
export class LedgerWriter {
  constructor(private readonly deps: LedgerWriterDeps) {}

  async book(entries: readonly UsageEntry[], rejected: readonly Rejected[] = []): Promise<number> {
    const { db } = this.deps;
    return db.transaction(async (tx) => {
      const extraRejected: Rejected[] = [];
      const priced = await this.price(tx, entries, extraRejected);
      await this.park(tx, [...rejected, ...extraRejected]);
      if (priced.length === 0) return 0;
      const inserted = await this.insertLedger(tx, priced);
      if (inserted.length === 0) return 0;
      await this.addRollups(tx, inserted);
      const tenants = [...new Set(inserted.map((e) => e.tenantId))];
      const budgets = await this.deps.budgets.ofTenants(tenants, tx);
      // Lock order everywhere: reservation rows, then budget period rows (sorted).
      const holdReleases = await releaseHoldsOnBooking(tx, inserted);
      const periods = await this.addSpend(tx, inserted, budgets, holdReleases);
      if (this.deps.afterBooking !== undefined) await this.deps.afterBooking(tx, { tenants, budgets, periods, subjects: spendingSubjects(inserted) });
      return inserted.length;
    });
  }

  private async price(tx: SqlExecutor, entries: readonly UsageEntry[], rejected: Rejected[]): Promise<Priced[]> {
    const unique = new Map<string, UsageEntry>();
    for (const entry of entries) if (!unique.has(entry.eventId)) unique.set(entry.eventId, entry);
    const tenants = [...new Set([...unique.values()].map((e) => e.tenantId)), this.deps.platformTenantId];
    const models = new Map<string, { provider: string; model: string }>();
    for (const e of unique.values()) models.set(`${e.provider}\u0000${e.model}`, { provider: e.provider, model: e.model });
    const rows = await this.deps.prices.pricesFor(tenants, [...models.values()], tx);
    const priced: Priced[] = [];
    for (const entry of unique.values()) {
      const price = priceInForce(rows, entry.tenantId, this.deps.platformTenantId, entry.provider, entry.model, entry.occurTime);
      if (price === undefined) {
        rejected.push({ topic: '', partition: -1, offset: entry.eventId, eventId: entry.eventId, tenantId: entry.tenantId, reason: `no price for ${entry.provider}/${entry.model} at ${entry.occurTime.toISOString()}`, payload: new Uint8Array() });
        continue;
      }
      priced.push({ ...entry, cost: costNanos(entry.tokens, tokenPrices(price)), currency: price.currency, priceId: price.priceId });
    }
    return priced;
  }

  private async park(tx: SqlExecutor, rejected: readonly Rejected[]): Promise<void> {
    for (const r of rejected) {
      this.deps.logger.warn({ eventId: r.eventId, tenantId: r.tenantId, topic: r.topic, partition: r.partition, offset: r.offset, reason: r.reason }, 'usage event parked in usage_rejected: not booked');
      await tx.query(
        `INSERT INTO usage_rejected (topic, partition, "offset", event_id, tenant_id, reason, payload) VALUES ($1,$2,$3,$4,$5,$6,$7)
         ON CONFLICT (topic, partition, "offset") DO NOTHING`,
        [r.topic, r.partition, r.offset, r.eventId, r.tenantId, r.reason, r.payload]);
    }
  }

  /**
   * One statement for the whole batch: the ledger rows as column arrays (unnest), in event-id
   * order so concurrent batches that share an id (a replay racing the original) take the
   * unique-index locks in one order and cannot deadlock.
   */
  private async insertLedger(tx: SqlExecutor, priced: readonly Priced[]): Promise<Priced[]> {
    const sorted = [...priced].sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
    const rows = sorted.map((e) => [e.eventId, e.tenantId, e.userId, e.apiKeyId, e.provider, e.model, e.tokens.prompt.toString(), e.tokens.completion.toString(),
      e.tokens.cachedPrompt.toString(), e.tokens.cacheWrite.toString(), e.tokens.reasoning.toString(), e.cost.toString(), e.currency, e.priceId,
      e.occurTime.toISOString(), e.estimated, e.requestId, e.reservationId, e.agentId]);
    const result = await tx.query<{ event_id: string }>(
      `INSERT INTO usage_ledger (event_id, tenant_id, user_id, api_key_id, provider, model, prompt_tokens, completion_tokens, cached_prompt_tokens,
         cache_write_tokens, reasoning_tokens, cost_nanos, currency_code, price_id, occur_time, estimated, request_id, reservation_id, agent_id)
       ${unnestRows(LEDGER_CASTS)} ON CONFLICT (event_id) DO NOTHING RETURNING event_id`, columnsOf(rows, LEDGER_CASTS.length));
    if (result.rows.length === sorted.length) return sorted;
    const inserted = new Set(result.rows.map((row) => row.event_id));
    return sorted.filter((e) => inserted.has(e.eventId));
  }

  /** The 15-minute rollups, summed in memory first: one upsert row per bucket and subject, one statement. */
  private async addRollups(tx: SqlExecutor, entries: readonly Priced[]): Promise<void> {
    const sums = new Map<string, { key: unknown[]; v: bigint[] }>();
    for (const e of entries) {
      const bucket = new Date(Math.floor(e.occurTime.getTime() / BUCKET_MS) * BUCKET_MS).toISOString();
      const id = [e.tenantId, bucket, e.userId, e.apiKeyId, e.provider, e.model].join('\u0000');
      let sum = sums.get(id);
      if (sum === undefined) {
        sum = { key: [e.tenantId, bucket, e.userId, e.apiKeyId, e.provider, e.model], v: [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n] };
        sums.set(id, sum);
      }
      const add = [e.tokens.prompt, e.tokens.completion, e.tokens.cachedPrompt, e.tokens.cacheWrite, e.tokens.reasoning, e.cost, 1n, e.estimated ? 1n : 0n];
      for (let i = 0; i < add.length; i++) sum.v[i]! += add[i]!;
    }
    // Sorted, so concurrent batches lock rollup rows in one order.
    const rows = [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => [...s.key, ...s.v.map(String)]);
    await tx.query(
      `INSERT INTO usage_rollups (tenant_id, bucket_start, user_id, api_key_id, provider, model, prompt_tokens, completion_tokens, cached_prompt_tokens,
         cache_write_tokens, reasoning_tokens, cost_nanos, request_count, estimated_count)
       ${unnestRows(ROLLUP_CASTS)}
       ON CONFLICT (tenant_id, bucket_start, user_id, api_key_id, provider, model) DO UPDATE SET
         prompt_tokens = usage_rollups.prompt_tokens + excluded.prompt_tokens,
         completion_tokens = usage_rollups.completion_tokens + excluded.completion_tokens,
         cached_prompt_tokens = usage_rollups.cached_prompt_tokens + excluded.cached_prompt_tokens,
         cache_write_tokens = usage_rollups.cache_write_tokens + excluded.cache_write_tokens,
         reasoning_tokens = usage_rollups.reasoning_tokens + excluded.reasoning_tokens,
         cost_nanos = usage_rollups.cost_nanos + excluded.cost_nanos,
         request_count = usage_rollups.request_count + excluded.request_count,
         estimated_count = usage_rollups.estimated_count + excluded.estimated_count`, columnsOf(rows, ROLLUP_CASTS.length));
  }

  /** Adds spend to every budget period the entries fall in, and takes off the holds they settle. */
  private async addSpend(tx: SqlExecutor, entries: readonly Priced[], budgets: readonly BudgetRow[], holdReleases: readonly { budgetId: string; periodStart: Date; nanos: bigint; tokens: bigint }[]): Promise<TouchedPeriod[]> {
    const deltas = new Map<string, { budgetId: string; start: Date; end: Date | undefined; spent: bigint; tokens: bigint; rNanos: bigint; rTokens: bigint }>();
    const delta = (budgetId: string, start: Date, end: Date | undefined) => {
      const id = `${budgetId}/${start.toISOString()}`;
      let d = deltas.get(id);
      if (d === undefined) {
        d = { budgetId, start, end, spent: 0n, tokens: 0n, rNanos: 0n, rTokens: 0n };
        deltas.set(id, d);
      }
      return d;
    };
    const byTenant = new Map<string, BudgetRow[]>();
    for (const b of budgets) byTenant.set(b.tenantId, [...(byTenant.get(b.tenantId) ?? []), b]);
    for (const e of entries) {
      for (const b of byTenant.get(e.tenantId) ?? []) {
        if (!appliesTo(b, e.userId, e.apiKeyId)) continue;
        const period = budgetPeriodAt(b, e.occurTime, this.deps.zones.zoneOf(e.tenantId));
        if (period === undefined) continue;
        const d = delta(b.budgetId, period.start, period.end);
        d.spent += e.cost;
        d.tokens += cappedTokens(e.tokens);
      }
    }
    for (const r of holdReleases) {
      const d = delta(r.budgetId, r.periodStart, undefined);
      d.rNanos += r.nanos;
      d.rTokens += r.tokens;
    }
    const touched: TouchedPeriod[] = [];
    for (const d of [...deltas.values()].sort((a, b) => (a.budgetId === b.budgetId ? a.start.getTime() - b.start.getTime() : a.budgetId < b.budgetId ? -1 : 1))) {
      const result = await tx.query<Parameters<typeof countersFromRow>[0] & { period_end: Date | string | null }>(
        `INSERT INTO budget_periods (budget_id, period_start, period_end, spent_nanos, spent_tokens, reserved_nanos, reserved_tokens)
         VALUES ($1, $2, $3, $4, $5, -$6::bigint, -$7::bigint)
         ON CONFLICT (budget_id, period_start) DO UPDATE SET
           spent_nanos = budget_periods.spent_nanos + excluded.spent_nanos,
           spent_tokens = budget_periods.spent_tokens + excluded.spent_tokens,
           reserved_nanos = budget_periods.reserved_nanos + excluded.reserved_nanos,
           reserved_tokens = budget_periods.reserved_tokens + excluded.reserved_tokens,
           period_end = COALESCE(budget_periods.period_end, excluded.period_end)
         RETURNING budget_id, period_start, period_end, spent_nanos, spent_tokens, reserved_nanos, reserved_tokens`,
        [d.budgetId, d.start, d.end ?? null, d.spent.toString(), d.tokens.toString(), d.rNanos.toString(), d.rTokens.toString()]);
      const row = result.rows[0]!;
      if (d.spent > 0n || d.tokens > 0n) touched.push({ ...countersFromRow(row), periodEnd: row.period_end === null ? undefined : new Date(row.period_end) });
    }
    return touched;
  }
}

function spendingSubjects(entries: readonly UsageEntry[]): SubjectSpend[] {
  const subjects = new Map<string, { subject: SubjectSpend; buckets: Set<number> }>();
  for (const e of entries) {
    const id = `${e.tenantId}\u0000${e.userId}\u0000${e.apiKeyId}`;
    let s = subjects.get(id);
    if (s === undefined) {
      s = { subject: { tenantId: e.tenantId, userId: e.userId, apiKeyId: e.apiKeyId, bucketStarts: [] }, buckets: new Set() };
      subjects.set(id, s);
    }
    s.buckets.add(Math.floor(e.occurTime.getTime() / BUCKET_MS) * BUCKET_MS);
  }
  return [...subjects.values()].map(({ subject, buckets }) => ({ ...subject, bucketStarts: [...buckets] }));
}
