import type { ConnectRouter } from '@connectrpc/connect';
import { PriceService } from '@aegis/proto/aegis/billing/v1/price_service_pb.js';
import { alreadyExists, failedPrecondition, invalidArgument, notFound, requireNonEmpty } from '@aegis/shared';
import { uuidv7 } from 'uuidv7';
import { authorOf, pageOffset, pageSizeOf, pageToken, tenantOf } from '../request-context.js';
import { pricesInForce, type PriceRow } from './price.js';
import { dateOr, priceToProto } from './price-mapping.js';
import type { PriceStore } from './price-store.js';
import type { Pricer } from './pricer.js';
import { isKnownEncoding } from './tokenizer.js';

export interface PriceHandlerDeps {
  store: PriceStore;
  pricer: Pricer;
  currency: string;
  platformTenantId: string;
  now: () => number;
  /** Publishes price.changed. */
  changed(tenantId: string, actor: string, price: PriceRow, verb: 'created' | 'deleted'): Promise<void>;
}

const RETROACTIVE_LIMIT_MS = 5 * 60_000;
const NAME = /^[a-z0-9][a-z0-9._:/-]{0,127}$/i;

export function registerPriceService(router: ConnectRouter, deps: PriceHandlerDeps): void {
  router.service(PriceService, {
    async createModelPrice(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const p = req.price;
      if (p === undefined) throw invalidArgument('price', 'is required');
      const provider = requireNonEmpty(p.provider, 'price.provider').toLowerCase();
      const model = requireNonEmpty(p.model, 'price.model');
      if (!NAME.test(provider)) throw invalidArgument('price.provider', 'must be 1-128 letters, digits or . _ : / -');
      if (!NAME.test(model)) throw invalidArgument('price.model', 'must be 1-128 letters, digits or . _ : / -');
      if (p.currencyCode !== '' && p.currencyCode !== deps.currency) throw invalidArgument('price.currency_code', `must be ${deps.currency}, the deployment's currency`);
      for (const [field, value] of [['prompt_nanos_per_million', p.promptNanosPerMillion], ['completion_nanos_per_million', p.completionNanosPerMillion],
        ['cached_prompt_nanos_per_million', p.cachedPromptNanosPerMillion], ['cache_write_nanos_per_million', p.cacheWriteNanosPerMillion],
        ['reasoning_nanos_per_million', p.reasoningNanosPerMillion]] as const) {
        if (value !== undefined && value < 0n) throw invalidArgument(`price.${field}`, 'must not be negative');
      }
      if (p.tokenizer !== '' && !isKnownEncoding(p.tokenizer)) throw invalidArgument('price.tokenizer', 'must be o200k_base, cl100k_base, p50k_base, p50k_edit, r50k_base or gpt2');
      const now = new Date(deps.now());
      const effectiveTime = dateOr(p.effectiveTime, now);
      if (effectiveTime.getTime() < now.getTime() - RETROACTIVE_LIMIT_MS) {
        throw invalidArgument('price.effective_time', 'must not be more than 5 minutes in the past: history is never rewritten');
      }
      const row: PriceRow = {
        priceId: uuidv7(), tenantId, provider, model, currency: deps.currency,
        prompt: p.promptNanosPerMillion, completion: p.completionNanosPerMillion,
        cachedPrompt: p.cachedPromptNanosPerMillion, cacheWrite: p.cacheWriteNanosPerMillion, reasoning: p.reasoningNanosPerMillion,
        effectiveTime, tokenizer: p.tokenizer, createTime: now, createdBy: authorOf(ctx),
      };
      if (!(await deps.store.insert(row))) throw alreadyExists('model price', `${provider}/${model}@${effectiveTime.toISOString()}`);
      await deps.changed(tenantId, row.createdBy, row, 'created');
      return { price: priceToProto(row) };
    },

    async getModelPrice(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const provider = requireNonEmpty(req.provider, 'provider').toLowerCase();
      const model = requireNonEmpty(req.model, 'model');
      const price = await deps.pricer.price(tenantId, provider, model, dateOr(req.time, new Date(deps.now())));
      return { price: priceToProto(price) };
    },

    async listModelPrices(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const size = pageSizeOf(req.pageSize);
      if (size === undefined) throw invalidArgument('page_size', 'must be 1-1000');
      const offset = pageOffset(req.pageToken);
      if (offset === undefined) throw invalidArgument('page_token', 'is not a token this list returned');
      const rows = await deps.store.visibleTo(tenantId, deps.platformTenantId, req.provider.toLowerCase());
      const all = req.includeHistory ? rows : pricesInForce(rows, tenantId, deps.platformTenantId, new Date(deps.now()));
      const page = all.slice(offset, offset + size);
      return { prices: page.map(priceToProto), nextPageToken: offset + size < all.length ? pageToken(offset + size) : '' };
    },

    async deleteModelPrice(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const priceId = requireNonEmpty(req.priceId, 'price_id');
      const row = await deps.store.get(tenantId, priceId);
      if (row === undefined) throw notFound('model price', priceId);
      if (!(await deps.store.deleteFuture(tenantId, priceId, new Date(deps.now())))) {
        throw failedPrecondition(`price ${priceId} is already in force; history is immutable, add a newer price instead`);
      }
      await deps.changed(tenantId, authorOf(ctx), row, 'deleted');
      return {};
    },
  });
}
