import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { ModelPriceSchema, type ModelPrice } from '@aegis/proto/aegis/billing/v1/price_pb.js';
import type { PriceRow } from './price.js';

export function priceToProto(row: PriceRow): ModelPrice {
  return create(ModelPriceSchema, {
    tenantId: row.tenantId,
    priceId: row.priceId,
    provider: row.provider,
    model: row.model,
    currencyCode: row.currency,
    promptNanosPerMillion: row.prompt,
    completionNanosPerMillion: row.completion,
    ...(row.cachedPrompt !== undefined ? { cachedPromptNanosPerMillion: row.cachedPrompt } : {}),
    ...(row.cacheWrite !== undefined ? { cacheWriteNanosPerMillion: row.cacheWrite } : {}),
    ...(row.reasoning !== undefined ? { reasoningNanosPerMillion: row.reasoning } : {}),
    effectiveTime: timestampFromDate(row.effectiveTime),
    tokenizer: row.tokenizer,
    createTime: timestampFromDate(row.createTime),
    createdBy: row.createdBy,
  });
}

export function dateOr(timestamp: Timestamp | undefined, fallback: Date): Date {
  return timestamp === undefined ? fallback : timestampDate(timestamp);
}
