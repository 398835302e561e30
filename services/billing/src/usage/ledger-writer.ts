import type { ConsumedEvent, Logger, SqlDatabase, SqlExecutor } from '@aegis/shared';
import { costNanos, cappedTokens } from '@aegis/pricing';
import { appliesTo, budgetPeriodAt, type BudgetRow } from '../budgets/budget.js';
import { countersFromRow, type BudgetStore, type CountersRow } from '../budgets/budget-store.js';
import type { TenantZones } from '../periods/tenant-zones.js';
import { priceCandidates, type PriceCandidates } from '../prices/price.js';
import type { PriceStore } from '../prices/price-store.js';
import { releaseHoldsOnBooking } from '../reservations/hold-release.js';
import { addRollups, insertLedgerRows, prepareRows, rollupSums, type PreparedRows, type Priced } from './ledger-rows.js';
import type { UsageEntry } from './usage-entry.js';

/** An event that cannot be booked: parked in usage_rejected and dead-lettered, never skipped silently. */
export interface Rejected {
  /** Where the message was read, and the message itself (key, headers, bytes) as consumed. */
  topic: string;
  partition: number;
  offset: string;
  key: string;
  headers: Record<string, string>;
  payload: Uint8Array;
  eventId: string;
  tenantId: string;
  reason: string;
}

/** What one booking did: entries newly in the ledger, and messages parked (rejected). */
export interface BookingResult {
  booked: number;
  parked: number;
}

/** The consumed message an entry was decoded from (to park it whole if it cannot be priced). */
export type OriginOf = (eventId: string) => ConsumedEvent | undefined;

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

/** A batch priced and laid out (LedgerWriter.prepare), ready for its booking transaction. */
export interface PreparedBooking {
  rows: PreparedRows;
  rejected: Rejected[];
}

/**
 * Books usage entries in one transaction: the ledger row (its primary key is the dedupe row),
 * the 15-minute rollups, the budget counters and the settlement of reservations, all or
 * nothing. An entry already in the ledger changes nothing, so a redelivered batch is harmless.
 * `prepare` (pricing, row layout) runs before the transaction and may overlap the previous
 * batch's `commit`; `book` is both in sequence.
 */
export class LedgerWriter {
  constructor(private readonly deps: LedgerWriterDeps) {}

  async book(entries: readonly UsageEntry[], rejected: readonly Rejected[] = [], originOf: OriginOf = () => undefined): Promise<BookingResult> {
    return this.commit(await this.prepare(entries, rejected, originOf));
  }

  /**
   * Prices the entries and lays out their rows. Prices are immutable rows read as committed
   * (the booking transaction would see the same rows, read committed), so this needs no
   * transaction and runs while the previous batch is being written.
   */
  async prepare(entries: readonly UsageEntry[], rejected: readonly Rejected[] = [], originOf: OriginOf = () => undefined): Promise<PreparedBooking> {
    const unpriced: Rejected[] = [];
    const priced = await this.price(entries, unpriced, originOf);
    return { rows: prepareRows(priced, { copy: this.deps.db.kind === 'postgres' }), rejected: [...rejected, ...unpriced] };
  }

  async commit(prepared: PreparedBooking): Promise<BookingResult> {
    const { db } = this.deps;
    return db.transaction(async (tx) => {
      const parked = prepared.rejected.length;
      await this.park(tx, prepared.rejected);
      if (prepared.rows.sorted.length === 0) return { booked: 0, parked };
      const inserted = await insertLedgerRows(tx, prepared.rows);
      if (inserted.length === 0) return { booked: 0, parked };
      // The prepared sums assumed every entry new; a redelivery re-sums what was inserted.
      if (inserted === prepared.rows.sorted) await addRollups(tx, prepared.rows.rollups, prepared.rows.rollupsCopy);
      else await addRollups(tx, rollupSums(inserted));
      const tenants = [...new Set(inserted.map((e) => e.tenantId))];
      const budgets = await this.deps.budgets.ofTenants(tenants, tx);
      // Lock order everywhere: reservation rows, then budget period rows (sorted).
      const holdReleases = await releaseHoldsOnBooking(tx, inserted);
      const periods = await this.addSpend(tx, inserted, budgets, holdReleases);
      if (this.deps.afterBooking !== undefined) await this.deps.afterBooking(tx, { tenants, budgets, periods, subjects: spendingSubjects(inserted) });
      return { booked: inserted.length, parked };
    });
  }

  private async price(entries: readonly UsageEntry[], rejected: Rejected[], originOf: OriginOf): Promise<Priced[]> {
    const unique = new Map<string, UsageEntry>();
    for (const entry of entries) if (!unique.has(entry.eventId)) unique.set(entry.eventId, entry);
    const tenants = [...new Set([...unique.values()].map((e) => e.tenantId)), this.deps.platformTenantId];
    const models = new Map<string, { provider: string; model: string }>();
    for (const e of unique.values()) models.set(`${e.provider}\u0000${e.model}`, { provider: e.provider, model: e.model });
    const rows = await this.deps.prices.pricesFor(tenants, [...models.values()]);
    // The candidate prices of each (tenant, model) once per batch, not a scan of every row per entry.
    const candidates = new Map<string, PriceCandidates>();
    const priced: Priced[] = [];
    for (const entry of unique.values()) {
      const id = `${entry.tenantId}\u0000${entry.provider}\u0000${entry.model}`;
      let forModel = candidates.get(id);
      if (forModel === undefined) {
        forModel = priceCandidates(rows, entry.tenantId, this.deps.platformTenantId, entry.provider, entry.model);
        candidates.set(id, forModel);
      }
      const price = forModel.at(entry.occurTime.getTime());
      if (price === undefined) {
        rejected.push({ ...rejectedOrigin(originOf(entry.eventId), entry.eventId), eventId: entry.eventId, tenantId: entry.tenantId, reason: `no price for ${entry.provider}/${entry.model} at ${entry.occurTime.toISOString()}` });
        continue;
      }
      priced.push({
        eventId: entry.eventId, tenantId: entry.tenantId, userId: entry.userId, apiKeyId: entry.apiKeyId, provider: entry.provider, model: entry.model,
        tokens: entry.tokens, requestId: entry.requestId, occurTime: entry.occurTime, estimated: entry.estimated, reservationId: entry.reservationId,
        agentId: entry.agentId, cost: costNanos(entry.tokens, price.prices), currency: price.row.currency, priceId: price.row.priceId,
      });
    }
    return priced;
  }

  /** Parks what cannot be booked in usage_rejected, the outbox of the dead-letter topic (usageDeadLetters). */
  private async park(tx: SqlExecutor, rejected: readonly Rejected[]): Promise<void> {
    for (const r of rejected) {
      this.deps.logger.warn({ eventId: r.eventId, tenantId: r.tenantId, topic: r.topic, partition: r.partition, offset: r.offset, reason: r.reason }, 'usage event rejected: parked and dead-lettered, not booked');
      await tx.query(
        `INSERT INTO usage_rejected (topic, partition, "offset", event_id, tenant_id, reason, payload, message_key, headers) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
         ON CONFLICT (topic, partition, "offset") DO NOTHING`,
        [r.topic, r.partition, r.offset, r.eventId, r.tenantId, r.reason, r.payload, r.key, JSON.stringify(r.headers)]);
    }
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

/** Where an unpriceable entry came from; an entry booked without a message (tests) is named by its id. */
function rejectedOrigin(origin: ConsumedEvent | undefined, eventId: string): Pick<Rejected, 'topic' | 'partition' | 'offset' | 'key' | 'headers' | 'payload'> {
  if (origin === undefined) return { topic: '', partition: -1, offset: eventId, key: '', headers: {}, payload: new Uint8Array() };
  return { topic: origin.topic, partition: origin.partition, offset: origin.offset, key: origin.key, headers: origin.headers, payload: origin.value };
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
