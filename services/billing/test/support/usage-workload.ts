// Random usage events and an independent BigInt reference of what the ledger must hold.
// The reference does not use the service's cost code: it recomputes each entry's exact
// rational cost from the price table below and rounds half to even by its own arithmetic.
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { EventSchema, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { encodeEvent, eventKey, newEventId, TOPICS, type EventMessage, type SqlExecutor } from '@aegis/shared';

export const WORKLOAD_TENANT_PREFIX = 'exact';

/** Nanos per 1M tokens: [prompt, completion, cached, cacheWrite, reasoning] (undefined = fallback). */
type PriceTuple = [bigint, bigint, bigint | undefined, bigint | undefined, bigint | undefined];

/** Catalogue prices as seeded (docs: the plan's table plus cached/reasoning models). */
const CATALOGUE: Record<string, PriceTuple> = {
  'openai/gpt-4': [30_000_000_000n, 60_000_000_000n, undefined, undefined, undefined],
  'openai/gpt-3.5-turbo': [1_500_000_000n, 2_000_000_000n, undefined, undefined, undefined],
  'anthropic/claude-3-opus': [15_000_000_000n, 75_000_000_000n, undefined, undefined, undefined],
  'openai/gpt-4o': [2_500_000_000n, 10_000_000_000n, 1_250_000_000n, undefined, undefined],
  'openai/o1': [15_000_000_000n, 60_000_000_000n, 7_500_000_000n, undefined, 60_000_000_000n],
  'anthropic/claude-3-5-sonnet': [3_000_000_000n, 15_000_000_000n, 300_000_000n, 3_750_000_000n, undefined],
};

/** A tenant override whose prices are not whole nanos per token, so rounding happens on most entries. */
export const ODD_MODEL = { provider: 'acme', model: 'odd-1', prices: [37_500_000n, 1_234_567n, 333_333n, 2_000_001n, 999_999n] as PriceTuple };

export async function insertOddPrice(db: SqlExecutor, tenantId: string): Promise<void> {
  const [p, c, cp, cw, r] = ODD_MODEL.prices;
  await db.query(
    `INSERT INTO model_prices (price_id, tenant_id, provider, model, currency_code, prompt_nanos_per_million, completion_nanos_per_million,
       cached_prompt_nanos_per_million, cache_write_nanos_per_million, reasoning_nanos_per_million, effective_time, tokenizer, create_time, created_by)
     VALUES ($1,$2,$3,$4,'USD',$5,$6,$7,$8,$9,'1970-01-01T00:00:00Z','',now(),'test') ON CONFLICT DO NOTHING`,
    [newEventId(), tenantId, ODD_MODEL.provider, ODD_MODEL.model, String(p), String(c), String(cp), String(cw), String(r)]);
}

/** mulberry32: a small seeded PRNG, so a failing run can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Reference {
  events: number;
  costNanos: bigint;
  promptTokens: bigint;
  completionTokens: bigint;
  /** Sum of the unrounded costs x 1e6, to show how far per-entry rounding moves the total. */
  exactNumerator: bigint;
}

function referenceCost(t: { p: bigint; c: bigint; cp: bigint; cw: bigint; r: bigint }, price: PriceTuple): { rounded: bigint; numerator: bigint } {
  const [pp, pc, pcp, pcw, pr] = price;
  const numerator = (t.p - t.cp - t.cw) * pp + t.cp * (pcp ?? pp) + t.cw * (pcw ?? pp) + (t.c - t.r) * pc + t.r * (pr ?? pc);
  const whole = numerator / 1_000_000n;
  const rest = numerator - whole * 1_000_000n;
  const up = rest > 500_000n || (rest === 500_000n && whole % 2n === 1n);
  return { rounded: up ? whole + 1n : whole, numerator };
}

/**
 * `count` usage events of tenant `tenantId` as bus messages on `topic`, with the reference
 * totals. Events spread over 50 users, 10 keys, seven models (one with odd prices) and the
 * last 6 hours.
 */
export function* usageWorkload(count: number, tenantId: string, topic: string = TOPICS.usage, seed = 42, chunk = 1000): Generator<{ messages: EventMessage[]; reference: Reference }> {
  const rand = prng(seed);
  const models = [...Object.keys(CATALOGUE), `${ODD_MODEL.provider}/${ODD_MODEL.model}`];
  const reference: Reference = { events: 0, costNanos: 0n, promptTokens: 0n, completionTokens: 0n, exactNumerator: 0n };
  const now = Date.now();
  let messages: EventMessage[] = [];
  for (let i = 0; i < count; i++) {
    const key = models[Math.floor(rand() * models.length)]!;
    const [provider, model] = key.split('/') as [string, string];
    const price = key === `${ODD_MODEL.provider}/${ODD_MODEL.model}` ? ODD_MODEL.prices : CATALOGUE[key]!;
    const p = BigInt(Math.floor(rand() * 8000));
    const c = BigInt(Math.floor(rand() * 3000));
    const cp = rand() < 0.4 ? BigInt(Math.floor(rand() * Number(p) / 2)) : 0n;
    const cw = rand() < 0.2 ? BigInt(Math.floor(rand() * Number(p - cp))) : 0n;
    const r = rand() < 0.3 ? BigInt(Math.floor(rand() * Number(c))) : 0n;
    const cost = referenceCost({ p, c, cp, cw, r }, price);
    reference.events++;
    reference.costNanos += cost.rounded;
    reference.exactNumerator += cost.numerator;
    reference.promptTokens += p;
    reference.completionTokens += c;
    const userId = `u${Math.floor(rand() * 50)}`;
    const event: Event = create(EventSchema, {
      id: newEventId(), time: timestampFromDate(new Date(now)), source: 'gateway', tenantId, action: 'usage.recorded',
      payload: {
        case: 'usage',
        value: {
          tenantId, userId, apiKeyId: `k${Math.floor(rand() * 10)}`, provider, model,
          tokens: { promptTokens: p, completionTokens: c, cachedPromptTokens: cp, cacheWriteTokens: cw, reasoningTokens: r },
          requestId: `req-${i}`, occurTime: timestampFromDate(new Date(now - Math.floor(rand() * 6 * 3_600_000))),
        },
      },
    });
    messages.push({ topic, key: eventKey(event), value: encodeEvent(event) });
    if (messages.length === chunk || i === count - 1) {
      yield { messages, reference: { ...reference } };
      messages = [];
    }
  }
}

export interface LedgerTotals {
  events: bigint;
  costNanos: bigint;
  promptTokens: bigint;
  completionTokens: bigint;
  rollupCostNanos: bigint;
  rollupRequests: bigint;
  rejected: bigint;
}

export async function ledgerTotals(db: SqlExecutor, tenantId: string): Promise<LedgerTotals> {
  const ledger = await db.query<{ n: string; cost: string | null; p: string | null; c: string | null }>(
    'SELECT count(*)::text n, sum(cost_nanos)::text cost, sum(prompt_tokens)::text p, sum(completion_tokens)::text c FROM usage_ledger WHERE tenant_id = $1', [tenantId]);
  const rollups = await db.query<{ cost: string | null; n: string | null }>('SELECT sum(cost_nanos)::text cost, sum(request_count)::text n FROM usage_rollups WHERE tenant_id = $1', [tenantId]);
  const rejected = await db.query<{ n: string }>('SELECT count(*)::text n FROM usage_rejected WHERE tenant_id = $1', [tenantId]);
  const l = ledger.rows[0]!;
  return {
    events: BigInt(l.n), costNanos: BigInt(l.cost ?? 0), promptTokens: BigInt(l.p ?? 0), completionTokens: BigInt(l.c ?? 0),
    rollupCostNanos: BigInt(rollups.rows[0]!.cost ?? 0), rollupRequests: BigInt(rollups.rows[0]!.n ?? 0), rejected: BigInt(rejected.rows[0]!.n),
  };
}
