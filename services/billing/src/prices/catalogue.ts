// The default price catalogue, seeded under the platform tenant at start-up when absent.
// The first four rows are the GenXAI plan's table (section 8, CostEstimator.COSTS, USD per
// 1K tokens) exactly as given; in nanos per 1M tokens, $x per 1K is x * 1e12.
// The rest are models whose cached-input and reasoning prices exercise those token kinds.

export interface CataloguePrice {
  provider: string;
  model: string;
  /** USD per 1K tokens as a decimal string, the plan's own unit (parsed exactly, never as a float). */
  promptPer1k: string;
  completionPer1k: string;
  cachedPromptPer1k?: string;
  cacheWritePer1k?: string;
  reasoningPer1k?: string;
  tokenizer: string;
}

/** The plan's COSTS table: provider -> model -> {prompt, completion} in USD per 1K tokens. */
export const PLAN_COSTS = {
  openai: {
    'gpt-4': { prompt: '0.03', completion: '0.06' },
    'gpt-3.5-turbo': { prompt: '0.0015', completion: '0.002' },
  },
  anthropic: {
    'claude-3-opus': { prompt: '0.015', completion: '0.075' },
    'claude-3-sonnet': { prompt: '0.003', completion: '0.015' },
  },
} as const;

export const DEFAULT_CATALOGUE: readonly CataloguePrice[] = [
  { provider: 'openai', model: 'gpt-4', promptPer1k: PLAN_COSTS.openai['gpt-4'].prompt, completionPer1k: PLAN_COSTS.openai['gpt-4'].completion, tokenizer: 'cl100k_base' },
  { provider: 'openai', model: 'gpt-3.5-turbo', promptPer1k: PLAN_COSTS.openai['gpt-3.5-turbo'].prompt, completionPer1k: PLAN_COSTS.openai['gpt-3.5-turbo'].completion, tokenizer: 'cl100k_base' },
  { provider: 'anthropic', model: 'claude-3-opus', promptPer1k: PLAN_COSTS.anthropic['claude-3-opus'].prompt, completionPer1k: PLAN_COSTS.anthropic['claude-3-opus'].completion, tokenizer: '' },
  { provider: 'anthropic', model: 'claude-3-sonnet', promptPer1k: PLAN_COSTS.anthropic['claude-3-sonnet'].prompt, completionPer1k: PLAN_COSTS.anthropic['claude-3-sonnet'].completion, tokenizer: '' },
  // Prompt caching and reasoning tokens (public list prices).
  { provider: 'openai', model: 'gpt-4o', promptPer1k: '0.0025', completionPer1k: '0.01', cachedPromptPer1k: '0.00125', tokenizer: 'o200k_base' },
  { provider: 'openai', model: 'o1', promptPer1k: '0.015', completionPer1k: '0.06', cachedPromptPer1k: '0.0075', reasoningPer1k: '0.06', tokenizer: 'o200k_base' },
  { provider: 'anthropic', model: 'claude-3-5-sonnet', promptPer1k: '0.003', completionPer1k: '0.015', cachedPromptPer1k: '0.0003', cacheWritePer1k: '0.00375', tokenizer: '' },
];

/** The catalogue's prices are in force from the epoch, so usage of any date has a price. */
export const CATALOGUE_EFFECTIVE_TIME = new Date(0);

/** Exact decimal "USD per 1K tokens" to nanos per 1M tokens (x 1e12), or throws. */
export function per1kToNanosPerMillion(decimal: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,12}))?$/.exec(decimal);
  if (!match) throw new RangeError(`"${decimal}" is not a decimal with at most 12 fraction digits`);
  const fraction = (match[2] ?? '').padEnd(12, '0');
  return BigInt(match[1]!) * 1_000_000_000_000n + BigInt(fraction);
}
