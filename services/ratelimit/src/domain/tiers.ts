import type { LimitSpec } from './limit.js';

// The plan's tiers (GenXAI section 6), enforced together: a request passes only if the
// minute, hour and day buckets all admit it. Burst = quota, so a fresh key may spend a
// whole window's quota at once, as a fixed window would, but never more.

export type Tier = 'free' | 'pro' | 'enterprise';

function windows(perMinute: number, perHour: number, perDay: number): readonly LimitSpec[] {
  const limit = (name: string, quota: number, windowSeconds: number): LimitSpec =>
    Object.freeze({ name, quota, windowSeconds, burst: quota, failureMode: 'default' });
  return Object.freeze([
    limit('requests_per_minute', perMinute, 60),
    limit('requests_per_hour', perHour, 3600),
    limit('requests_per_day', perDay, 86_400),
  ]);
}

export const TIER_LIMITS: Readonly<Record<Tier, readonly LimitSpec[]>> = Object.freeze({
  free: windows(10, 100, 1000),
  pro: windows(60, 1000, 10_000),
  enterprise: windows(300, 10_000, 100_000),
});

export const TIERS: readonly Tier[] = ['free', 'pro', 'enterprise'];
