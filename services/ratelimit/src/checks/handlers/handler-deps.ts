import type { LimitConfigCache } from '../../limit-config/limit-config-cache.js';
import type { RatelimitMetrics } from '../../metrics.js';
import type { RateLimiter } from '../rate-limiter.js';

/** What the RateLimitService handlers are given. */
export interface CheckHandlerDeps {
  limiter: RateLimiter;
  config: LimitConfigCache;
  metrics?: RatelimitMetrics;
  /** Epoch ms, for override expiry (a fixed clock in tests). */
  now(): number;
}
