import { z } from 'zod';
import { env, loadConfig, type EnvSource } from '@aegis/shared';

/** Policy's own variables, beside the runtime's (docs/configuration.md). */
export const policyEnvSchema = z.object({
  /**
   * Share of allowed decisions written to the audit topic, 0-1 (denials always are). 0.01
   * records one allow in a hundred: enough to see who uses what, without an event per request.
   */
  AEGIS_POLICY_AUDIT_ALLOW_SAMPLE_RATE: z.coerce.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.01),
  /**
   * The platform tenant, whose principals administer every tenant: auth's bootstrap tenant,
   * read from the same variable so both services agree.
   */
  /**
   * How long a caller watching policy changes may reuse a decision (Check's cache_ttl); 0
   * offers none for reuse. The bound of the platform's own permission caches (5 s).
   */
  AEGIS_POLICY_DECISION_CACHE_TTL_MS: env.durationMs(5_000),
  /** WatchPolicyChanges sends a heartbeat after this long without a change. */
  AEGIS_POLICY_WATCH_HEARTBEAT_MS: env.durationMs(5_000),
  AEGIS_AUTH_BOOTSTRAP_TENANT: z.string().trim().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be a tenant id (lowercase, digits, _ and -)').default('default'),
});

export type PolicyConfig = z.infer<typeof policyEnvSchema>;

export function loadPolicyConfig(env: EnvSource = process.env): PolicyConfig {
  return loadConfig(policyEnvSchema, env);
}
