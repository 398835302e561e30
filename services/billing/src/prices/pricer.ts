import { notFound, type SqlExecutor } from '@aegis/shared';
import { costNanos, type Tokens } from '../money/cost.js';
import { priceInForce, tokenPrices, type PriceRow } from './price.js';
import type { PriceStore } from './price-store.js';

/** Prices usage with the price in force: the CostEstimator. An unknown model is NotFound, never zero. */
export class Pricer {
  constructor(private readonly store: PriceStore, readonly platformTenantId: string) {}

  async price(tenantId: string, provider: string, model: string, at: Date, executor?: SqlExecutor): Promise<PriceRow> {
    const rows = await this.store.pricesFor([tenantId, this.platformTenantId], [{ provider, model }], executor);
    const price = priceInForce(rows, tenantId, this.platformTenantId, provider, model, at);
    if (price === undefined) throw notFound('model price', `${provider}/${model}`);
    return price;
  }

  async cost(tenantId: string, provider: string, model: string, tokens: Tokens, at: Date): Promise<{ cost: bigint; price: PriceRow }> {
    const price = await this.price(tenantId, provider, model, at);
    return { cost: costNanos(tokens, tokenPrices(price)), price };
  }
}
