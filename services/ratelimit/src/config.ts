import { z } from 'zod';
import { env, loadConfig, type EnvSource } from '@aegis/shared';

// The ratelimit service's own variables (docs/configuration.md, docs/ratelimit.md).
const ratelimitEnvSchema = z.object({
  /** Deadline of one Redis step; past it the check is answered by the fallback. */
  AEGIS_RATELIMIT_REDIS_TIMEOUT_MS: env.durationMs(100),
  /** What limits with FAILURE_MODE_UNSPECIFIED do while Redis is unavailable. */
  AEGIS_RATELIMIT_FAILURE_MODE: z.enum(['fail_open', 'fail_closed']).default('fail_open'),
  /** Replicas expected: the fail-open share is 1/max(this, replicas seen in Redis). */
  AEGIS_RATELIMIT_INSTANCES: z.string().regex(/^[1-9][0-9]{0,3}$/, 'must be a whole number from 1 to 9999').transform(Number).default(1),
  /** Failed or late Redis steps in a row that switch the instance to the fallback. */
  AEGIS_RATELIMIT_DEGRADE_AFTER_FAILURES: z.string().regex(/^[1-9][0-9]{0,2}$/, 'must be a whole number from 1 to 999').transform(Number).default(3),
  /** How often a degraded instance probes Redis to recover. */
  AEGIS_RATELIMIT_PROBE_INTERVAL_MS: env.durationMs(500),
  AEGIS_AUTH_BOOTSTRAP_TENANT: z.string().trim().default('default'),
});

export interface RatelimitConfig {
  redisTimeoutMs: number;
  failuresToDegrade: number;
  defaultFailureMode: 'fail_open' | 'fail_closed';
  expectedInstances: number;
  probeIntervalMs: number;
  /** Administers every tenant (auth's bootstrap tenant); degradation audits are filed under it. */
  platformTenantId: string;
}

export function loadRatelimitConfig(source: EnvSource): RatelimitConfig {
  const parsed = loadConfig(ratelimitEnvSchema, source);
  return {
    redisTimeoutMs: parsed.AEGIS_RATELIMIT_REDIS_TIMEOUT_MS,
    failuresToDegrade: parsed.AEGIS_RATELIMIT_DEGRADE_AFTER_FAILURES,
    defaultFailureMode: parsed.AEGIS_RATELIMIT_FAILURE_MODE,
    expectedInstances: parsed.AEGIS_RATELIMIT_INSTANCES,
    probeIntervalMs: parsed.AEGIS_RATELIMIT_PROBE_INTERVAL_MS,
    platformTenantId: parsed.AEGIS_AUTH_BOOTSTRAP_TENANT || 'default',
  };
}
