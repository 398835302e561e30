import { z } from 'zod';
import { loadConfig, type EnvSource } from '@aegis/shared';

/** The tenant settings consumer's variables (docs/configuration.md). */
export const tenantSettingsEnvSchema = z.object({
  /**
   * Consumer group reading aegis.tenants.v1. Every policy instance of one deployment shares
   * it (they share one database, so one of them writing is enough); two deployments on one
   * Kafka cluster, or parallel test runs, need different ones.
   */
  AEGIS_POLICY_TENANT_SETTINGS_GROUP: z.string().trim()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be 1-249 letters, digits, ".", "_" or "-"')
    .default('policy-tenant-settings'),
});

export type TenantSettingsConfig = z.infer<typeof tenantSettingsEnvSchema>;

export function loadTenantSettingsConfig(env: EnvSource = process.env): TenantSettingsConfig {
  return loadConfig(tenantSettingsEnvSchema, env);
}
