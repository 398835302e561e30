import type { TokenPrices } from '@aegis/pricing';

/** A stored price (ModelPrice), money in nanos per 1M tokens. */
export interface PriceRow {
  priceId: string;
  tenantId: string;
  provider: string;
  model: string;
  currency: string;
  prompt: bigint;
  completion: bigint;
  cachedPrompt: bigint | undefined;
  cacheWrite: bigint | undefined;
  reasoning: bigint | undefined;
  effectiveTime: Date;
  tokenizer: string;
  createTime: Date;
  createdBy: string;
}

export function tokenPrices(row: PriceRow): TokenPrices {
  return { prompt: row.prompt, completion: row.completion, cachedPrompt: row.cachedPrompt, cacheWrite: row.cacheWrite, reasoning: row.reasoning };
}

/**
 * The price in force for a tenant at a time: the tenant's own latest price effective at or
 * before `at`, else the catalogue's (platform tenant). `rows` may hold any prices.
 */
export function priceInForce(rows: readonly PriceRow[], tenantId: string, platformTenantId: string, provider: string, model: string, at: Date): PriceRow | undefined {
  const latest = (owner: string) => {
    let best: PriceRow | undefined;
    for (const row of rows) {
      if (row.tenantId !== owner || row.provider !== provider || row.model !== model || row.effectiveTime.getTime() > at.getTime()) continue;
      if (best === undefined || row.effectiveTime.getTime() > best.effectiveTime.getTime()) best = row;
    }
    return best;
  };
  return latest(tenantId) ?? (tenantId === platformTenantId ? undefined : latest(platformTenantId));
}

/**
 * When the price in force for a tenant after `at` may next change: the earliest later effective
 * time among the tenant's and the catalogue's prices of the model (either can change which price
 * is in force), or undefined when none is scheduled.
 */
export function nextPriceChange(rows: readonly PriceRow[], tenantId: string, platformTenantId: string, provider: string, model: string, at: Date): Date | undefined {
  let next: Date | undefined;
  for (const row of rows) {
    if ((row.tenantId !== tenantId && row.tenantId !== platformTenantId) || row.provider !== provider || row.model !== model) continue;
    if (row.effectiveTime.getTime() > at.getTime() && (next === undefined || row.effectiveTime.getTime() < next.getTime())) next = row.effectiveTime;
  }
  return next;
}

/** Every (provider, model) visible to a tenant with the price in force at `at`, sorted. */
export function pricesInForce(rows: readonly PriceRow[], tenantId: string, platformTenantId: string, at: Date): PriceRow[] {
  const models = new Map<string, { provider: string; model: string }>();
  for (const row of rows) {
    if (row.tenantId === tenantId || row.tenantId === platformTenantId) models.set(`${row.provider}\u0000${row.model}`, { provider: row.provider, model: row.model });
  }
  const result: PriceRow[] = [];
  for (const { provider, model } of models.values()) {
    const price = priceInForce(rows, tenantId, platformTenantId, provider, model, at);
    if (price !== undefined) result.push(price);
  }
  return result.sort((a, b) => (a.provider === b.provider ? a.model.localeCompare(b.model) : a.provider.localeCompare(b.provider)));
}

/** A price in force and its token prices, ready for costNanos. */
export interface PriceChoice {
  row: PriceRow;
  prices: TokenPrices;
}

/** The prices one tenant may pay for one model, asked per usage time (the ledger's hot path). */
export interface PriceCandidates {
  at(ms: number): PriceChoice | undefined;
}

/** priceInForce for many times at once: the owner's and the catalogue's rows, newest first, filtered once. */
export function priceCandidates(rows: readonly PriceRow[], tenantId: string, platformTenantId: string, provider: string, model: string): PriceCandidates {
  const newestFirst = (owner: string): PriceChoice[] => rows
    .filter((row) => row.tenantId === owner && row.provider === provider && row.model === model)
    .sort((a, b) => b.effectiveTime.getTime() - a.effectiveTime.getTime())
    .map((row) => ({ row, prices: tokenPrices(row) }));
  const own = newestFirst(tenantId);
  const catalogue = tenantId === platformTenantId ? [] : newestFirst(platformTenantId);
  const latest = (choices: readonly PriceChoice[], ms: number) => choices.find((c) => c.row.effectiveTime.getTime() <= ms);
  return { at: (ms) => latest(own, ms) ?? latest(catalogue, ms) };
}
