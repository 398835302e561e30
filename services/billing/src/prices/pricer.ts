import { notFound, type SqlExecutor } from '@aegis/shared';
import { costNanos, type Tokens } from '@aegis/pricing';
import { nextPriceChange, priceInForce, tokenPrices, type PriceRow } from './price.js';
import type { PriceStore } from './price-store.js';

export interface PricerOptions {
  /** How long a model's price rows are reused without asking Postgres (0: never). */
  cacheMs: number;
  now: () => number;
  /** Cached (tenant, model) pairs at most; the oldest is dropped first. */
  maxEntries?: number;
}

interface CachedPrices {
  rows: PriceRow[];
  loadedAt: number;
}

/**
 * Prices usage with the price in force: the CostEstimator. An unknown model is NotFound, never zero.
 *
 * Price rows are immutable (a change is a new row with its own effective time), so a model's rows
 * can be reused until a row is added or a future one deleted: `invalidate` drops a tenant's entries
 * on such a change (this instance at once, the others through the billing broadcast), and the
 * TTL bounds a missed notice. One guarded agent run prices its model three times (estimate,
 * reserve, commit); the ledger prices from Postgres in its own transaction and never uses this cache.
 */
export class Pricer {
  private readonly cache = new Map<string, CachedPrices>();
  private readonly maxEntries: number;
  /** Bumped by every invalidation: a load that started before one must not be cached after it. */
  private generation = 0;

  constructor(
    private readonly store: PriceStore,
    readonly platformTenantId: string,
    private readonly opts: PricerOptions = { cacheMs: 0, now: Date.now },
  ) {
    this.maxEntries = opts.maxEntries ?? 10_000;
  }

  async price(tenantId: string, provider: string, model: string, at: Date, executor?: SqlExecutor): Promise<PriceRow> {
    const rows = executor !== undefined
      ? await this.store.pricesFor([tenantId, this.platformTenantId], [{ provider, model }], executor)
      : await this.rowsFor(tenantId, provider, model);
    const price = priceInForce(rows, tenantId, this.platformTenantId, provider, model, at);
    if (price === undefined) throw notFound('model price', `${provider}/${model}`);
    return price;
  }

  async cost(tenantId: string, provider: string, model: string, tokens: Tokens, at: Date): Promise<{ cost: bigint; price: PriceRow }> {
    const price = await this.price(tenantId, provider, model, at);
    return { cost: costNanos(tokens, tokenPrices(price)), price };
  }

  /**
   * `cost`, plus until when the price holds: the next price change already scheduled, if any
   * (a caller that prices usage itself with this price stops before it).
   */
  async quote(tenantId: string, provider: string, model: string, tokens: Tokens, at: Date): Promise<{ cost: bigint; price: PriceRow; validUntil: Date | undefined }> {
    const rows = await this.rowsFor(tenantId, provider, model);
    const price = priceInForce(rows, tenantId, this.platformTenantId, provider, model, at);
    if (price === undefined) throw notFound('model price', `${provider}/${model}`);
    return { cost: costNanos(tokens, tokenPrices(price)), price, validUntil: nextPriceChange(rows, tenantId, this.platformTenantId, provider, model, at) };
  }

  /** Forgets the tenant's prices; the platform tenant's are everyone's defaults, so all of them. */
  invalidate(tenantId: string): void {
    this.generation++;
    if (tenantId === this.platformTenantId) {
      this.cache.clear();
      return;
    }
    const prefix = `${tenantId}\u0000`;
    for (const key of this.cache.keys()) if (key.startsWith(prefix)) this.cache.delete(key);
  }

  private async rowsFor(tenantId: string, provider: string, model: string): Promise<PriceRow[]> {
    if (this.opts.cacheMs <= 0) return this.store.pricesFor([tenantId, this.platformTenantId], [{ provider, model }]);
    const key = `${tenantId}\u0000${provider}\u0000${model}`;
    const hit = this.cache.get(key);
    if (hit !== undefined && this.opts.now() - hit.loadedAt < this.opts.cacheMs) return hit.rows;
    const generation = this.generation;
    const loadedAt = this.opts.now();
    const rows = await this.store.pricesFor([tenantId, this.platformTenantId], [{ provider, model }]);
    if (generation === this.generation) {
      this.cache.delete(key);
      if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, { rows, loadedAt });
    }
    return rows;
  }
}
