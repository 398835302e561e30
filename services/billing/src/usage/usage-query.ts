import type { SqlExecutor } from '@aegis/shared';
import { ZERO_TOKENS, type Tokens } from '@aegis/pricing';

export interface Totals {
  tokens: Tokens;
  costNanos: bigint;
  requests: bigint;
  estimated: bigint;
}

export interface ModelTotals {
  provider: string;
  model: string;
  totals: Totals;
}

export interface UsageFilter {
  tenantId: string;
  userId: string;
  apiKeyId: string;
  start: Date;
  end: Date;
}

const BUCKET_MS = 15 * 60_000;
const emptyTotals = (): Totals => ({ tokens: { ...ZERO_TOKENS }, costNanos: 0n, requests: 0n, estimated: 0n });

interface SumRow { provider: string; model: string; p: string; c: string; cp: string; cw: string; r: string; cost: string; n: string; e: string }

function add(into: Totals, row: SumRow): void {
  into.tokens.prompt += BigInt(row.p);
  into.tokens.completion += BigInt(row.c);
  into.tokens.cachedPrompt += BigInt(row.cp);
  into.tokens.cacheWrite += BigInt(row.cw);
  into.tokens.reasoning += BigInt(row.r);
  into.costNanos += BigInt(row.cost);
  into.requests += BigInt(row.n);
  into.estimated += BigInt(row.e);
}

/**
 * Usage totals of a subject over [start, end): whole 15-minute buckets from the rollups, the
 * ragged edges (if the window is not bucket-aligned) from the ledger rows themselves. Both are
 * written in the booking transaction, so the answer is exactly the ledger's.
 */
export async function usageTotals(db: SqlExecutor, f: UsageFilter): Promise<{ totals: Totals; breakdown: ModelTotals[] }> {
  const alignedStart = new Date(Math.ceil(f.start.getTime() / BUCKET_MS) * BUCKET_MS);
  const alignedEnd = new Date(Math.floor(f.end.getTime() / BUCKET_MS) * BUCKET_MS);
  const rows: SumRow[] = [];
  const subject = `AND ($2 = '' OR user_id = $2) AND ($3 = '' OR api_key_id = $3)`;
  if (alignedStart < alignedEnd) {
    rows.push(...(await db.query<SumRow>(
      `SELECT provider, model, sum(prompt_tokens)::text p, sum(completion_tokens)::text c, sum(cached_prompt_tokens)::text cp, sum(cache_write_tokens)::text cw,
         sum(reasoning_tokens)::text r, sum(cost_nanos)::text cost, sum(request_count)::text n, sum(estimated_count)::text e
       FROM usage_rollups WHERE tenant_id = $1 ${subject} AND bucket_start >= $4 AND bucket_start < $5 GROUP BY provider, model`,
      [f.tenantId, f.userId, f.apiKeyId, alignedStart, alignedEnd])).rows);
  }
  const edges: [Date, Date][] = alignedStart < alignedEnd ? [[f.start, alignedStart], [alignedEnd, f.end]] : [[f.start, f.end]];
  for (const [from, to] of edges) {
    if (from >= to) continue;
    rows.push(...(await db.query<SumRow>(
      `SELECT provider, model, sum(prompt_tokens)::text p, sum(completion_tokens)::text c, sum(cached_prompt_tokens)::text cp, sum(cache_write_tokens)::text cw,
         sum(reasoning_tokens)::text r, sum(cost_nanos)::text cost, count(*)::text n, count(*) FILTER (WHERE estimated)::text e
       FROM usage_ledger WHERE tenant_id = $1 ${subject} AND occur_time >= $4 AND occur_time < $5 GROUP BY provider, model`,
      [f.tenantId, f.userId, f.apiKeyId, from, to])).rows);
  }
  const totals = emptyTotals();
  const byModel = new Map<string, ModelTotals>();
  for (const row of rows) {
    add(totals, row);
    const id = `${row.provider}\u0000${row.model}`;
    let m = byModel.get(id);
    if (m === undefined) {
      m = { provider: row.provider, model: row.model, totals: emptyTotals() };
      byModel.set(id, m);
    }
    add(m.totals, row);
  }
  const breakdown = [...byModel.values()].sort((a, b) => (a.totals.costNanos === b.totals.costNanos
    ? (a.provider + a.model).localeCompare(b.provider + b.model)
    : a.totals.costNanos > b.totals.costNanos ? -1 : 1));
  return { totals, breakdown };
}
