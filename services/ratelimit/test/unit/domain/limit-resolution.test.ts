import { resolveLimits, resolveMaxConcurrent, TIER_LIMITS, type LimitSpec } from '../../../src/domain/index.js';
import { headerValues } from '../../../src/domain/index.js';

const limit = (name: string, quota: number, windowSeconds = 60): LimitSpec => ({ name, quota, windowSeconds, burst: quota, failureMode: 'default' });

describe('limit resolution', () => {
  it('has the plan tiers', () => {
    expect(Object.fromEntries(Object.entries(TIER_LIMITS).map(([tier, limits]) => [tier, limits.map((l) => [l.name, l.quota, l.windowSeconds])]))).toEqual({
      free: [['requests_per_minute', 10, 60], ['requests_per_hour', 100, 3600], ['requests_per_day', 1000, 86_400]],
      pro: [['requests_per_minute', 60, 60], ['requests_per_hour', 1000, 3600], ['requests_per_day', 10_000, 86_400]],
      enterprise: [['requests_per_minute', 300, 60], ['requests_per_hour', 10_000, 3600], ['requests_per_day', 100_000, 86_400]],
    });
  });

  it('layers tier, set, inline, tenant override and key override; override tiers replace the selector tier', () => {
    const limits = resolveLimits({
      tier: 'free',
      limitSet: [limit('llm_tokens', 1000)],
      inline: [limit('requests_per_minute', 20)],
      tenantOverride: { tier: 'pro', limits: [limit('llm_tokens', 5000)] },
      keyOverride: { limits: [limit('requests_per_day', 7)] },
      nowMs: 0,
    });
    expect(limits.map((l) => [l.name, l.quota])).toEqual([
      ['requests_per_minute', 20], ['requests_per_hour', 1000], ['requests_per_day', 7], ['llm_tokens', 5000],
    ]);
  });

  it('ignores expired overrides', () => {
    const limits = resolveLimits({ inline: [limit('a', 1)], keyOverride: { limits: [limit('a', 99)], expireAtMs: 1000 }, nowMs: 1000 });
    expect(limits[0]!.quota).toBe(1);
    expect(resolveMaxConcurrent(3, { limits: [], maxConcurrent: 5 }, { limits: [], maxConcurrent: 2, expireAtMs: 10 }, 20)).toBe(5);
    expect(resolveMaxConcurrent(0, undefined, undefined, 0)).toBeUndefined();
  });

  it('renders the IETF headers: the denying limit with the longest wait, every policy', () => {
    const headers = headerValues([
      { limit: limit('requests_per_minute', 60), reading: { remaining: 0, resetAfterMicros: 41_500_000, retryAfterMicros: 1_000_000 }, allowed: false },
      { limit: limit('requests_per_day', 10_000, 86_400), reading: { remaining: 0, resetAfterMicros: 5_000_000, retryAfterMicros: 8_600_001 }, allowed: false },
    ]);
    expect(headers).toEqual({
      rateLimit: '"requests_per_day";r=0;t=5',
      rateLimitPolicy: '"requests_per_minute";q=60;w=60, "requests_per_day";q=10000;w=86400',
      retryAfterSeconds: 9,
    });
  });
});
