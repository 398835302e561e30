import { z } from 'zod';
import { loadConfig, type EnvSource } from '@aegis/shared';

const label = z.string().trim().regex(/^[a-z][a-z0-9]{1,15}$/, 'must be 2-16 lowercase letters or digits, starting with a letter');

/** Auth's own variables, beside the runtime's (docs/configuration.md). */
export const authEnvSchema = z.object({
  /** First label of every API key (`genxai_live_…`), as in the GenXAI plan. */
  AEGIS_AUTH_API_KEY_PREFIX: label.default('genxai'),
  /** Second label: `live`, `test`, ... */
  AEGIS_AUTH_API_KEY_ENVIRONMENT: label.default('live'),
  /**
   * Base64 of at least 32 random bytes, the HMAC key for stored key digests. Every instance
   * must share it. Absent: generated once into the service's data directory (single-host only).
   */
  AEGIS_AUTH_API_KEY_PEPPER: z.string().trim().refine((v) => Buffer.from(v, 'base64').length >= 32, 'must be base64 of at least 32 bytes').optional(),
  /**
   * AES-256-GCM keys for secrets at rest (JWT private keys, identity-provider client secrets):
   * `kid:<base64 32 bytes>,...`, the first one active; older ones keep decrypting. Absent:
   * generated once into the service's data directory (single-host only).
   */
  AEGIS_AUTH_ENCRYPTION_KEYS: z.string().trim().optional(),
  /** Public base URL of this service, the JWT `iss` (default: the URL it listens on). */
  AEGIS_AUTH_ISSUER: z.string().trim().url().optional(),
  /** Tenant created with the first admin key on a fresh database. */
  AEGIS_AUTH_BOOTSTRAP_TENANT: z.string().trim().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be a tenant id (lowercase, digits, _ and -)').default('default'),
});

export type AuthConfig = z.infer<typeof authEnvSchema>;

export function loadAuthConfig(env: EnvSource = process.env): AuthConfig {
  return loadConfig(authEnvSchema, env);
}
