import { z } from 'zod';
import { env, loadConfig, type EnvSource } from '@aegis/shared';
import type { RateLimitTierName } from './ports.js';

const positiveMs = (def: number) => env.durationMs(def).refine((ms) => ms > 0, 'must be more than 0');
const positiveInt = (def: number) => z.coerce.number().int('must be a whole number').positive('must be more than 0').default(def);

/** The API-key module's variables (docs/auth/api-keys.md), parsed once at start-up. */
export const apiKeysEnvSchema = z.object({
  /**
   * Lifetime of a cached verdict, in this process and in Redis. A safety net only: every
   * change is pushed to all instances at once; this bounds staleness if a push is lost.
   */
  AEGIS_AUTH_API_KEY_CACHE_TTL_MS: positiveMs(30_000),
  /** Most keys whose verdicts one instance keeps (least recently used dropped first). */
  AEGIS_AUTH_API_KEY_CACHE_MAX_ENTRIES: positiveInt(10_000),
  /** How long an unknown key is remembered as unknown, in this process and in Redis. */
  AEGIS_AUTH_API_KEY_NEGATIVE_CACHE_TTL_MS: positiveMs(60_000),
  /** Most unknown keys one instance remembers (kept apart, so a flood cannot evict real keys). */
  AEGIS_AUTH_API_KEY_NEGATIVE_CACHE_MAX_ENTRIES: positiveInt(10_000),
  /** Failed verifications one source may make in a window before it is throttled. */
  AEGIS_AUTH_API_KEY_THROTTLE_FAILURES: positiveInt(20),
  /** The counting window for failed verifications. */
  AEGIS_AUTH_API_KEY_THROTTLE_WINDOW_MS: positiveMs(60_000),
  /** How long a throttled source is answered THROTTLED without any check. */
  AEGIS_AUTH_API_KEY_THROTTLE_BLOCK_MS: positiveMs(60_000),
  /** How often batched last-used times are written (ApiKey.last_used_time lags by at most this). */
  AEGIS_AUTH_API_KEY_LAST_USED_FLUSH_MS: positiveMs(10_000),
  /** Tier of a key created without one (tenants carry no default tier yet). */
  AEGIS_AUTH_API_KEY_DEFAULT_TIER: z.enum(['free', 'pro', 'enterprise'] satisfies RateLimitTierName[]).default('free'),
});

export type ApiKeysConfig = z.infer<typeof apiKeysEnvSchema>;

export function loadApiKeysConfig(source: EnvSource): ApiKeysConfig {
  return loadConfig(apiKeysEnvSchema, source);
}
