// The two bulk writes of a booking: ledger rows (the dedupe) and the 15-minute rollups. On
// Postgres both go through COPY, which costs about a third of an `unnest` insert per row (no
// array parameters to build and parse); PGlite has no COPY from a client and keeps `unnest`.
import type { SqlExecutor } from '@aegis/shared';
import type { Tokens } from '@aegis/pricing';
import { copyEscape, CopyBuffer, IsoTimes } from './copy-text.js';
import { columnsOf, unnestRows } from './sql-values.js';
import type { UsageEntry } from './usage-entry.js';

export interface Priced extends UsageEntry {
  cost: bigint;
  currency: string;
  priceId: string;
}

const BUCKET_MS = 15 * 60_000;
const UNIQUE_VIOLATION = '23505';

const LEDGER_COLUMNS = 'event_id, tenant_id, user_id, api_key_id, provider, model, prompt_tokens, completion_tokens, cached_prompt_tokens, cache_write_tokens, reasoning_tokens, cost_nanos, currency_code, price_id, occur_time, estimated, request_id, reservation_id, agent_id';
const LEDGER_CASTS = ['text', 'text', 'text', 'text', 'text', 'text', 'int8', 'int8', 'int8', 'int8', 'int8', 'int8', 'text', 'uuid', 'timestamptz', 'bool', 'text', 'text', 'text'];
const ROLLUP_KEY = 'tenant_id, bucket_start, user_id, api_key_id, provider, model';
const ROLLUP_COLUMNS = `${ROLLUP_KEY}, prompt_tokens, completion_tokens, cached_prompt_tokens, cache_write_tokens, reasoning_tokens, cost_nanos, request_count, estimated_count`;
const ROLLUP_CASTS = ['text', 'timestamptz', 'text', 'text', 'text', 'text', 'int8', 'int8', 'int8', 'int8', 'int8', 'int8', 'int8', 'int8'];
const ROLLUP_ADD = `ON CONFLICT (${ROLLUP_KEY}) DO UPDATE SET
  prompt_tokens = usage_rollups.prompt_tokens + excluded.prompt_tokens,
  completion_tokens = usage_rollups.completion_tokens + excluded.completion_tokens,
  cached_prompt_tokens = usage_rollups.cached_prompt_tokens + excluded.cached_prompt_tokens,
  cache_write_tokens = usage_rollups.cache_write_tokens + excluded.cache_write_tokens,
  reasoning_tokens = usage_rollups.reasoning_tokens + excluded.reasoning_tokens,
  cost_nanos = usage_rollups.cost_nanos + excluded.cost_nanos,
  request_count = usage_rollups.request_count + excluded.request_count,
  estimated_count = usage_rollups.estimated_count + excluded.estimated_count`;

const byEventId = (a: Priced, b: Priced) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);

/** One rollup row: the sums of a batch's entries of one subject, model and 15-minute bucket. */
export interface RollupSum {
  tenantId: string;
  /** ISO start of the bucket. */
  bucket: string;
  userId: string;
  apiKeyId: string;
  provider: string;
  model: string;
  tokens: Tokens;
  cost: bigint;
  requests: number;
  estimated: number;
}

/**
 * The ledger rows and the rollup sums of a batch, built before its transaction opens, so the
 * next batch is prepared while Postgres writes this one. The rollups assume every entry is new
 * (the common case); the writer re-sums the entries actually inserted when some were not.
 */
export interface PreparedRows {
  /** Entries in event-id order. */
  sorted: Priced[];
  rollups: RollupSum[];
  /** The same rows as COPY text, when the database takes COPY (Postgres). */
  ledgerCopy: Uint8Array | undefined;
  rollupsCopy: Uint8Array | undefined;
}

export function prepareRows(priced: readonly Priced[], opts: { copy: boolean }): PreparedRows {
  const sorted = [...priced].sort(byEventId);
  const rollups = rollupSums(sorted);
  return { sorted, rollups, ledgerCopy: opts.copy ? ledgerCopyText(sorted) : undefined, rollupsCopy: opts.copy ? rollupCopyText(rollups) : undefined };
}

/**
 * Inserts the ledger rows not yet there; returns the entries newly inserted. Rows go in
 * event-id order, so concurrent batches that share an id (a replay racing the original) take
 * the unique-index locks in one order and cannot deadlock.
 *
 * On Postgres the common case (no id booked yet) is one COPY inside a savepoint. A replayed or
 * redelivered id makes the COPY fail on the primary key; the savepoint is rolled back and the
 * batch takes the `ON CONFLICT DO NOTHING RETURNING` path, which skips ids already booked. The
 * primary key decides in both cases, inside the booking transaction.
 */
export async function insertLedgerRows(tx: SqlExecutor, rows: PreparedRows): Promise<Priced[]> {
  const { sorted } = rows;
  if (tx.copyFrom !== undefined) {
    await tx.exec('SAVEPOINT ledger_copy');
    try {
      await tx.copyFrom(`COPY usage_ledger (${LEDGER_COLUMNS}) FROM STDIN`, rows.ledgerCopy ?? ledgerCopyText(sorted));
      await tx.exec('RELEASE SAVEPOINT ledger_copy');
      return sorted;
    } catch (err) {
      if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
      await tx.exec('ROLLBACK TO SAVEPOINT ledger_copy');
    }
  }
  const result = await tx.query<{ event_id: string }>(
    `INSERT INTO usage_ledger (${LEDGER_COLUMNS}) ${unnestRows(LEDGER_CASTS)} ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
    columnsOf(sorted.map(ledgerParameters), LEDGER_CASTS.length));
  if (result.rows.length === sorted.length) return sorted;
  const inserted = new Set(result.rows.map((row) => row.event_id));
  return sorted.filter((e) => inserted.has(e.eventId));
}

/**
 * COPY text of ledger rows: each row one short-lived string written straight into a buffer
 * (a string for the whole batch kept ~1.4 KB per row alive until the end, which the garbage
 * collector paid for; a buffer write per field cost more in calls).
 */
function ledgerCopyText(sorted: readonly Priced[]): Uint8Array {
  const times = new IsoTimes();
  const out = new CopyBuffer();
  for (const e of sorted) {
    const t = e.tokens;
    out.line(`${copyEscape(e.eventId)}\t${copyEscape(e.tenantId)}\t${copyEscape(e.userId)}\t${copyEscape(e.apiKeyId)}\t${copyEscape(e.provider)}\t${copyEscape(e.model)}\t`
      + `${t.prompt}\t${t.completion}\t${t.cachedPrompt}\t${t.cacheWrite}\t${t.reasoning}\t${e.cost}\t${copyEscape(e.currency)}\t${copyEscape(e.priceId)}\t`
      + `${times.of(e.occurTime.getTime())}\t${e.estimated ? 't' : 'f'}\t${copyEscape(e.requestId)}\t${copyEscape(e.reservationId)}\t${copyEscape(e.agentId)}\n`);
  }
  return out.bytes();
}

function ledgerParameters(e: Priced): unknown[] {
  const t = e.tokens;
  return [e.eventId, e.tenantId, e.userId, e.apiKeyId, e.provider, e.model, String(t.prompt), String(t.completion), String(t.cachedPrompt),
    String(t.cacheWrite), String(t.reasoning), String(e.cost), e.currency, e.priceId, e.occurTime.toISOString(), e.estimated, e.requestId, e.reservationId, e.agentId];
}

/**
 * The 15-minute rollup sums of `entries`: one per bucket and subject. Unordered: the upsert
 * orders them (ORDER BY in SQL), which is what keeps concurrent batches' row locks in one order.
 */
export function rollupSums(entries: readonly Priced[]): RollupSum[] {
  // subject and model, then bucket: a numeric inner key instead of a longer string per entry.
  const sums = new Map<string, Map<number, RollupSum>>();
  const buckets = new IsoTimes();
  const all: RollupSum[] = [];
  for (const e of entries) {
    const bucketMs = Math.floor(e.occurTime.getTime() / BUCKET_MS) * BUCKET_MS;
    const subject = `${e.tenantId}\u0000${e.userId}\u0000${e.apiKeyId}\u0000${e.provider}\u0000${e.model}`;
    let byBucket = sums.get(subject);
    if (byBucket === undefined) {
      byBucket = new Map();
      sums.set(subject, byBucket);
    }
    let sum = byBucket.get(bucketMs);
    if (sum === undefined) {
      sum = {
        tenantId: e.tenantId, bucket: buckets.of(bucketMs), userId: e.userId, apiKeyId: e.apiKeyId, provider: e.provider, model: e.model,
        tokens: { prompt: 0n, completion: 0n, cachedPrompt: 0n, cacheWrite: 0n, reasoning: 0n }, cost: 0n, requests: 0, estimated: 0,
      };
      byBucket.set(bucketMs, sum);
      all.push(sum);
    }
    const t = sum.tokens;
    t.prompt += e.tokens.prompt;
    t.completion += e.tokens.completion;
    t.cachedPrompt += e.tokens.cachedPrompt;
    t.cacheWrite += e.tokens.cacheWrite;
    t.reasoning += e.tokens.reasoning;
    sum.cost += e.cost;
    sum.requests += 1;
    if (e.estimated) sum.estimated += 1;
  }
  return all;
}

function rollupCopyText(sums: readonly RollupSum[]): Uint8Array {
  const out = new CopyBuffer();
  for (const s of sums) {
    const t = s.tokens;
    out.line(`${copyEscape(s.tenantId)}\t${s.bucket}\t${copyEscape(s.userId)}\t${copyEscape(s.apiKeyId)}\t${copyEscape(s.provider)}\t${copyEscape(s.model)}\t`
      + `${t.prompt}\t${t.completion}\t${t.cachedPrompt}\t${t.cacheWrite}\t${t.reasoning}\t${s.cost}\t${s.requests}\t${s.estimated}\n`);
  }
  return out.bytes();
}

/**
 * Adds rollup sums to usage_rollups in one upsert, in key order (ORDER BY), so concurrent
 * batches lock rollup rows in one order. On Postgres the sums are COPYed into a
 * per-connection temporary table and upserted from there.
 */
export async function addRollups(tx: SqlExecutor, sums: readonly RollupSum[], copy?: Uint8Array): Promise<void> {
  if (sums.length === 0) return;
  if (tx.copyFrom !== undefined) {
    // Per connection, emptied by every commit.
    await tx.exec('CREATE TEMP TABLE IF NOT EXISTS usage_rollups_batch (LIKE usage_rollups) ON COMMIT DELETE ROWS');
    await tx.copyFrom(`COPY usage_rollups_batch (${ROLLUP_COLUMNS}) FROM STDIN`, copy ?? rollupCopyText(sums));
    await tx.query(`INSERT INTO usage_rollups (${ROLLUP_COLUMNS}) SELECT ${ROLLUP_COLUMNS} FROM usage_rollups_batch ORDER BY ${ROLLUP_KEY} ${ROLLUP_ADD}`);
    return;
  }
  const rows = sums.map((s) => [s.tenantId, s.bucket, s.userId, s.apiKeyId, s.provider, s.model, String(s.tokens.prompt), String(s.tokens.completion),
    String(s.tokens.cachedPrompt), String(s.tokens.cacheWrite), String(s.tokens.reasoning), String(s.cost), String(s.requests), String(s.estimated)]);
  await tx.query(`INSERT INTO usage_rollups (${ROLLUP_COLUMNS}) SELECT * FROM (${unnestRows(ROLLUP_CASTS)}) AS r (${ROLLUP_COLUMNS}) ORDER BY ${ROLLUP_KEY} ${ROLLUP_ADD}`,
    columnsOf(rows, ROLLUP_CASTS.length));
}

