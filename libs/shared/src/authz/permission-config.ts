import { z } from 'zod';
import { env, loadConfig, type EnvSource } from '../config/index.js';
import { DEFAULT_DECISION_CACHE_ENTRIES, DEFAULT_DECISION_TTL_MS, DEFAULT_DENY_TTL_MS } from './decision-cache.js';

/** What a service that requires permissions reads (docs/configuration.md). */
export const permissionEnvSchema = z.object({
  /** Base URL of the policy service (DecisionService.Check). */
  AEGIS_POLICY_URL: env.url({ protocols: ['http', 'https'] }).optional(),
  /** Deadline of one Check call; past it the request is refused with `unavailable`. */
  AEGIS_POLICY_CHECK_TIMEOUT_MS: env.durationMs(1_000),
  /** How long an allow is reused without asking policy (0: never). */
  AEGIS_PERMISSION_CACHE_TTL_MS: env.durationMs(DEFAULT_DECISION_TTL_MS),
  /** How long a deny is reused without asking policy (0: never). */
  AEGIS_PERMISSION_CACHE_DENY_TTL_MS: env.durationMs(DEFAULT_DENY_TTL_MS),
  AEGIS_PERMISSION_CACHE_MAX_ENTRIES: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').default(DEFAULT_DECISION_CACHE_ENTRIES),
  /** The platform tenant: auth's bootstrap tenant, read from the same variable so all services agree. */
  AEGIS_AUTH_BOOTSTRAP_TENANT: z.string().trim().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be a tenant id (lowercase, digits, _ and -)').default('default'),
});

export const DEFAULT_POLICY_URL = 'http://127.0.0.1:8082';

export interface PermissionConfig {
  /** Unset: the policy service of the same process, else DEFAULT_POLICY_URL. */
  policyUrl: string | undefined;
  checkTimeoutMs: number;
  cacheTtlMs: number;
  denyCacheTtlMs: number;
  cacheMaxEntries: number;
  platformTenantId: string;
}

export function loadPermissionConfig(source: EnvSource): PermissionConfig {
  const parsed = loadConfig(permissionEnvSchema, source);
  return {
    policyUrl: parsed.AEGIS_POLICY_URL?.replace(/\/+$/, ''),
    checkTimeoutMs: parsed.AEGIS_POLICY_CHECK_TIMEOUT_MS,
    cacheTtlMs: parsed.AEGIS_PERMISSION_CACHE_TTL_MS,
    denyCacheTtlMs: parsed.AEGIS_PERMISSION_CACHE_DENY_TTL_MS,
    cacheMaxEntries: parsed.AEGIS_PERMISSION_CACHE_MAX_ENTRIES,
    platformTenantId: parsed.AEGIS_AUTH_BOOTSTRAP_TENANT,
  };
}
