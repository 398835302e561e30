import fc from 'fast-check';
import { costNanos, costNumerator, divideHalfEven, tokenProblem, ZERO_TOKENS } from '@aegis/pricing';
import { DEFAULT_CATALOGUE, per1kToNanosPerMillion, PLAN_COSTS } from '../../src/prices/catalogue.js';
import { priceCandidates, priceInForce, type PriceRow } from '../../src/prices/price.js';

describe('exact money', () => {
  test('half to even, once', () => {
    expect([5n, 15n, 25n, 14n, 16n].map((n) => divideHalfEven(n, 10n))).toEqual([0n, 2n, 2n, 1n, 2n]);
    expect(divideHalfEven(-15n, 10n)).toBe(-2n);
  });

  test('rounding is within half a nano of the exact value, and unbiased on ties', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 24n }), (n) => {
      const q = divideHalfEven(n, 1_000_000n);
      const diff = q * 1_000_000n - n;
      return diff >= -500_000n && diff <= 500_000n;
    }));
  });

  test('the plan table is the catalogue, in nanos per 1M tokens', () => {
    expect(per1kToNanosPerMillion(PLAN_COSTS.openai['gpt-4'].prompt)).toBe(30_000_000_000n);
    expect(per1kToNanosPerMillion(PLAN_COSTS.openai['gpt-3.5-turbo'].prompt)).toBe(1_500_000_000n);
    expect(per1kToNanosPerMillion('0.0000375')).toBe(37_500_000n);
    expect(DEFAULT_CATALOGUE.slice(0, 4).map((p) => `${p.provider}/${p.model} ${p.promptPer1k} ${p.completionPer1k}`)).toEqual([
      'openai/gpt-4 0.03 0.06', 'openai/gpt-3.5-turbo 0.0015 0.002', 'anthropic/claude-3-opus 0.015 0.075', 'anthropic/claude-3-sonnet 0.003 0.015',
    ]);
    expect(() => per1kToNanosPerMillion('0.1e-3')).toThrow();
  });

  test('cached and reasoning tokens are charged once, at their own price or the fallback', () => {
    const prices = { prompt: 2_000_000n, completion: 8_000_000n, cachedPrompt: 500_000n, reasoning: 16_000_000n };
    const tokens = { prompt: 1000n, completion: 100n, cachedPrompt: 400n, cacheWrite: 100n, reasoning: 50n };
    // 500 plain prompt + 400 cached + 100 cache-write at prompt price + 50 plain + 50 reasoning.
    expect(costNumerator(tokens, prices)).toBe(500n * 2_000_000n + 400n * 500_000n + 100n * 2_000_000n + 50n * 8_000_000n + 50n * 16_000_000n);
    expect(costNanos(tokens, prices)).toBe(costNumerator(tokens, prices) / 1_000_000n);
    expect(tokenProblem({ ...ZERO_TOKENS, prompt: 1n, cachedPrompt: 1n, cacheWrite: 1n })?.field).toBe('tokens.cached_prompt_tokens');
    expect(tokenProblem({ ...ZERO_TOKENS, completion: -1n })?.field).toBe('tokens.completion_tokens');
  });

  test('the price in force: override over catalogue, latest effective at or before the time', () => {
    const row = (tenantId: string, at: string, prompt: bigint): PriceRow => ({
      priceId: `${tenantId}${at}`, tenantId, provider: 'openai', model: 'gpt-4', currency: 'USD', prompt, completion: 0n, cachedPrompt: undefined,
      cacheWrite: undefined, reasoning: undefined, effectiveTime: new Date(at), tokenizer: '', createTime: new Date(at), createdBy: 't',
    });
    const rows = [row('default', '1970-01-01', 1n), row('default', '2030-01-01', 2n), row('t1', '2025-01-01', 3n)];
    expect(priceInForce(rows, 't2', 'default', 'openai', 'gpt-4', new Date('2026-01-01'))?.prompt).toBe(1n);
    expect(priceInForce(rows, 't2', 'default', 'openai', 'gpt-4', new Date('2031-01-01'))?.prompt).toBe(2n);
    expect(priceInForce(rows, 't1', 'default', 'openai', 'gpt-4', new Date('2024-06-01'))?.prompt).toBe(1n);
    expect(priceInForce(rows, 't1', 'default', 'openai', 'gpt-4', new Date('2031-01-01'))?.prompt).toBe(3n);
    expect(priceInForce(rows, 't1', 'default', 'openai', 'gpt-5', new Date())).toBeUndefined();
  });

  test('the ledger\'s per-batch price candidates choose what priceInForce chooses', () => {
    const row = (tenantId: string, model: string, effective: number, prompt: bigint): PriceRow => ({
      priceId: `${tenantId}-${model}-${effective}`, tenantId, provider: 'openai', model, currency: 'USD', prompt, completion: prompt, cachedPrompt: undefined,
      cacheWrite: undefined, reasoning: undefined, effectiveTime: new Date(effective), tokenizer: '', createTime: new Date(0), createdBy: 'test',
    });
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.constantFrom('default', 't1', 't2'), fc.constantFrom('m1', 'm2'), fc.integer({ min: 0, max: 100 })), { maxLength: 12 }),
      fc.constantFrom('default', 't1', 't2'), fc.constantFrom('m1', 'm2', 'm3'), fc.integer({ min: -5, max: 105 }),
      (specs, tenantId, model, at) => {
        // Unique per (owner, model, effective time), as the table's unique key makes them.
        const unique = new Map(specs.map(([owner, m, effective], i) => [`${owner}/${m}/${effective}`, row(owner, m, effective, BigInt(i + 1))]));
        const rows = [...unique.values()];
        const expected = priceInForce(rows, tenantId, 'default', 'openai', model, new Date(at));
        expect(priceCandidates(rows, tenantId, 'default', 'openai', model).at(at)?.row).toBe(expected);
      }));
  });
});
