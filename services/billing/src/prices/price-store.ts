import type { SqlExecutor } from '@aegis/shared';
import { uuidv7 } from 'uuidv7';
import { CATALOGUE_EFFECTIVE_TIME, DEFAULT_CATALOGUE, per1kToNanosPerMillion } from './catalogue.js';
import type { PriceRow } from './price.js';

interface Row {
  price_id: string; tenant_id: string; provider: string; model: string; currency_code: string;
  prompt_nanos_per_million: string; completion_nanos_per_million: string;
  cached_prompt_nanos_per_million: string | null; cache_write_nanos_per_million: string | null; reasoning_nanos_per_million: string | null;
  effective_time: Date | string; tokenizer: string; create_time: Date | string; created_by: string;
}

const optional = (value: string | null) => (value === null ? undefined : BigInt(value));

function fromRow(row: Row): PriceRow {
  return {
    priceId: row.price_id, tenantId: row.tenant_id, provider: row.provider, model: row.model, currency: row.currency_code,
    prompt: BigInt(row.prompt_nanos_per_million), completion: BigInt(row.completion_nanos_per_million),
    cachedPrompt: optional(row.cached_prompt_nanos_per_million), cacheWrite: optional(row.cache_write_nanos_per_million), reasoning: optional(row.reasoning_nanos_per_million),
    effectiveTime: new Date(row.effective_time), tokenizer: row.tokenizer, createTime: new Date(row.create_time), createdBy: row.created_by,
  };
}

const opt = (value: bigint | undefined) => (value === undefined ? null : value.toString());

/** The price catalogue in Postgres (or PGlite). Prices are immutable rows; history is never rewritten. */
export class PriceStore {
  constructor(private readonly db: SqlExecutor) {}

  /** Inserts the default catalogue under the platform tenant where a row is missing. */
  async seedCatalogue(platformTenantId: string, currency: string): Promise<void> {
    for (const price of DEFAULT_CATALOGUE) {
      await this.db.query(
        `INSERT INTO model_prices (price_id, tenant_id, provider, model, currency_code, prompt_nanos_per_million, completion_nanos_per_million,
           cached_prompt_nanos_per_million, cache_write_nanos_per_million, reasoning_nanos_per_million, effective_time, tokenizer, create_time, created_by)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,now(),'billing') ON CONFLICT (tenant_id, provider, model, effective_time) DO NOTHING`,
        [uuidv7(), platformTenantId, price.provider, price.model, currency,
          per1kToNanosPerMillion(price.promptPer1k).toString(), per1kToNanosPerMillion(price.completionPer1k).toString(),
          price.cachedPromptPer1k === undefined ? null : per1kToNanosPerMillion(price.cachedPromptPer1k).toString(),
          price.cacheWritePer1k === undefined ? null : per1kToNanosPerMillion(price.cacheWritePer1k).toString(),
          price.reasoningPer1k === undefined ? null : per1kToNanosPerMillion(price.reasoningPer1k).toString(),
          CATALOGUE_EFFECTIVE_TIME, price.tokenizer],
      );
    }
  }

  /** Stores a new price; false when the same owner, model and effective time exist already. */
  async insert(price: PriceRow): Promise<boolean> {
    const result = await this.db.query(
      `INSERT INTO model_prices (price_id, tenant_id, provider, model, currency_code, prompt_nanos_per_million, completion_nanos_per_million,
         cached_prompt_nanos_per_million, cache_write_nanos_per_million, reasoning_nanos_per_million, effective_time, tokenizer, create_time, created_by)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) ON CONFLICT (tenant_id, provider, model, effective_time) DO NOTHING`,
      [price.priceId, price.tenantId, price.provider, price.model, price.currency, price.prompt.toString(), price.completion.toString(),
        opt(price.cachedPrompt), opt(price.cacheWrite), opt(price.reasoning), price.effectiveTime, price.tokenizer, price.createTime, price.createdBy],
    );
    return result.rowCount === 1;
  }

  /** Every price of the given owners for the given models (all times): the input of priceInForce. */
  async pricesFor(tenantIds: readonly string[], models: readonly { provider: string; model: string }[], executor: SqlExecutor = this.db): Promise<PriceRow[]> {
    if (models.length === 0) return [];
    const pairs = new Set(models.map(({ provider, model }) => `${provider}\u0000${model}`));
    const result = await executor.query<Row>(
      'SELECT * FROM model_prices WHERE tenant_id = ANY($1::text[]) AND provider = ANY($2::text[]) AND model = ANY($3::text[])',
      [tenantIds, [...new Set(models.map((m) => m.provider))], [...new Set(models.map((m) => m.model))]],
    );
    return result.rows.map(fromRow).filter((row) => pairs.has(`${row.provider}\u0000${row.model}`));
  }

  /** Every price of the tenant and the catalogue, optionally of one provider. */
  async visibleTo(tenantId: string, platformTenantId: string, provider: string): Promise<PriceRow[]> {
    const result = await this.db.query<Row>(
      `SELECT * FROM model_prices WHERE tenant_id = ANY($1::text[]) AND ($2 = '' OR provider = $2)
       ORDER BY provider, model, effective_time, tenant_id`,
      [[tenantId, platformTenantId], provider],
    );
    return result.rows.map(fromRow);
  }

  async get(tenantId: string, priceId: string): Promise<PriceRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(priceId)) return undefined;
    const result = await this.db.query<Row>('SELECT * FROM model_prices WHERE tenant_id = $1 AND price_id = $2', [tenantId, priceId]);
    return result.rows[0] === undefined ? undefined : fromRow(result.rows[0]);
  }

  /** Deletes the price only while it is not yet in force; false otherwise. */
  async deleteFuture(tenantId: string, priceId: string, now: Date): Promise<boolean> {
    const result = await this.db.query('DELETE FROM model_prices WHERE tenant_id = $1 AND price_id = $2 AND effective_time > $3', [tenantId, priceId, now]);
    return result.rowCount === 1;
  }
}
