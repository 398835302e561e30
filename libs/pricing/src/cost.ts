// The one place money is computed: exact integer arithmetic (BigInt) on nano-units, with the
// single rounding of docs/contracts.md ("The rounding rule"): an entry's cost is the exact
// rational sum of tokens x price-per-million over its token kinds, divided by 1,000,000 and
// rounded once, half to even, to whole nanos. Sums of entries are exact integer additions.
// Billing prices with it, and so does the SDK (a budget allowance's usage, with the price billing
// quoted), so both arrive at the same nanos.

/** Token counts of one usage, normalised: cached and cache-write are parts of prompt, reasoning of completion. */
export interface Tokens {
  prompt: bigint;
  completion: bigint;
  cachedPrompt: bigint;
  cacheWrite: bigint;
  reasoning: bigint;
}

/** Prices in nanos per 1,000,000 tokens; undefined optional prices fall back as the contract says. */
export interface TokenPrices {
  prompt: bigint;
  completion: bigint;
  cachedPrompt?: bigint | undefined;
  cacheWrite?: bigint | undefined;
  reasoning?: bigint | undefined;
}

const MILLION = 1_000_000n;

export const ZERO_TOKENS: Tokens = { prompt: 0n, completion: 0n, cachedPrompt: 0n, cacheWrite: 0n, reasoning: 0n };

/** Integer division of a non-negative numerator, rounded half to even. */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  if (numerator < 0n) return -divideHalfEven(-numerator, denominator);
  const quotient = numerator / denominator;
  const twice = (numerator % denominator) * 2n;
  if (twice > denominator) return quotient + 1n;
  if (twice < denominator) return quotient;
  return quotient % 2n === 0n ? quotient : quotient + 1n;
}

/** The exact, unrounded numerator: nanos x 1,000,000. */
export function costNumerator(tokens: Tokens, prices: TokenPrices): bigint {
  const plainPrompt = tokens.prompt - tokens.cachedPrompt - tokens.cacheWrite;
  const plainCompletion = tokens.completion - tokens.reasoning;
  return plainPrompt * prices.prompt
    + tokens.cachedPrompt * (prices.cachedPrompt ?? prices.prompt)
    + tokens.cacheWrite * (prices.cacheWrite ?? prices.prompt)
    + plainCompletion * prices.completion
    + tokens.reasoning * (prices.reasoning ?? prices.completion);
}

/** Cost of one usage in whole nanos: the rounding rule, applied once. */
export function costNanos(tokens: Tokens, prices: TokenPrices): bigint {
  return divideHalfEven(costNumerator(tokens, prices), MILLION);
}

/**
 * Why counts are not acceptable, or undefined. Parts must sit inside their wholes, so a cached
 * token is never charged twice (LiteLLM's double-counted cache tokens).
 */
export function tokenProblem(tokens: Tokens): { field: string; message: string } | undefined {
  for (const [field, value] of Object.entries(tokens) as [keyof Tokens, bigint][]) {
    if (value < 0n) return { field: `tokens.${fieldName(field)}`, message: 'must not be negative' };
  }
  if (tokens.cachedPrompt + tokens.cacheWrite > tokens.prompt) {
    return { field: 'tokens.cached_prompt_tokens', message: 'cached_prompt_tokens + cache_write_tokens must not exceed prompt_tokens (they are parts of it)' };
  }
  if (tokens.reasoning > tokens.completion) {
    return { field: 'tokens.reasoning_tokens', message: 'reasoning_tokens must not exceed completion_tokens (they are part of it)' };
  }
  return undefined;
}

function fieldName(field: keyof Tokens): string {
  switch (field) {
    case 'prompt': return 'prompt_tokens';
    case 'completion': return 'completion_tokens';
    case 'cachedPrompt': return 'cached_prompt_tokens';
    case 'cacheWrite': return 'cache_write_tokens';
    case 'reasoning': return 'reasoning_tokens';
  }
}

/** Tokens that count against a token cap: prompt + completion (parts are inside them). */
export function cappedTokens(tokens: Tokens): bigint {
  return tokens.prompt + tokens.completion;
}
