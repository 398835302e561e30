import { create } from '@bufbuild/protobuf';
import { MoneySchema, type Money } from '@aegis/proto/aegis/common/v1/money_pb.js';
import { TokenUsageSchema, type TokenUsage } from '@aegis/proto/aegis/common/v1/tokens_pb.js';
import { invalidArgument } from '@aegis/shared';
import { tokenProblem, ZERO_TOKENS, type Tokens } from '@aegis/pricing';

const INT64_MAX = 9_223_372_036_854_775_807n;

export function money(currency: string, nanos: bigint): Money {
  return create(MoneySchema, { currencyCode: currency, amountNanos: nanos });
}

export function tokensFromProto(usage: TokenUsage | undefined): Tokens {
  if (usage === undefined) return ZERO_TOKENS;
  return {
    prompt: usage.promptTokens,
    completion: usage.completionTokens,
    cachedPrompt: usage.cachedPromptTokens,
    cacheWrite: usage.cacheWriteTokens,
    reasoning: usage.reasoningTokens,
  };
}

export function tokensToProto(tokens: Tokens): TokenUsage {
  return create(TokenUsageSchema, {
    promptTokens: tokens.prompt,
    completionTokens: tokens.completion,
    cachedPromptTokens: tokens.cachedPrompt,
    cacheWriteTokens: tokens.cacheWrite,
    reasoningTokens: tokens.reasoning,
  });
}

/** Token counts from a request, or InvalidArgument naming the field. */
export function requireTokens(usage: TokenUsage | undefined): Tokens {
  const tokens = tokensFromProto(usage);
  const problem = tokenProblem(tokens);
  if (problem !== undefined) throw invalidArgument(problem.field, problem.message);
  return tokens;
}

/**
 * A money amount from a request in the deployment's currency (empty code = it), or
 * InvalidArgument. Negative amounts are refused unless allowed.
 */
export function requireMoney(field: string, value: Money | undefined, currency: string, opts: { allowUnset?: boolean } = {}): bigint | undefined {
  if (value === undefined) {
    if (opts.allowUnset === true) return undefined;
    throw invalidArgument(field, 'is required');
  }
  if (value.currencyCode !== '' && value.currencyCode !== currency) {
    throw invalidArgument(`${field}.currency_code`, `must be ${currency}, the deployment's currency`);
  }
  if (value.amountNanos < 0n) throw invalidArgument(`${field}.amount_nanos`, 'must not be negative');
  if (value.amountNanos > INT64_MAX) throw invalidArgument(`${field}.amount_nanos`, 'is too large');
  return value.amountNanos;
}
