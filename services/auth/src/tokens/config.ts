import { z } from 'zod';
import { env, loadConfig, type EnvSource } from '@aegis/shared';
import { SIGNING_ALGORITHMS } from './domain/signing-algorithms.js';
import { MAX_ACCESS_TOKEN_TTL_MS } from './domain/access-token.js';

// The tokens module's variables (docs/auth/tokens.md), parsed once from the service environment.
// Durations are milliseconds or carry a unit (`15m`, `720h`).
const audience = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, 'must be 1-128 letters, digits, ".", "_", ":", "/" or "-"');

export const tokensEnvSchema = z.object({
  /** Algorithm of newly generated signing keys; RotateSigningKey may name another. */
  AEGIS_AUTH_JWT_ALGORITHM: z.enum(SIGNING_ALGORITHMS).default('EdDSA'),
  /** Audiences IssueToken accepts (comma-separated); the first is the default `aud`. */
  AEGIS_AUTH_JWT_AUDIENCES: env.commaList().pipe(z.array(audience)).default(['aegis']),
  /** Access-token lifetime when the request names none (the contract's 15 min). */
  AEGIS_AUTH_ACCESS_TOKEN_TTL_MS: env.durationMs(15 * 60_000),
  /** Lifetime of each refresh token; every refresh issues a new one. */
  AEGIS_AUTH_REFRESH_TOKEN_TTL_MS: env.durationMs(24 * 3_600_000),
  /** Absolute end of a refresh-token family counted from its first token (a session's own end comes first). */
  AEGIS_AUTH_REFRESH_FAMILY_LIFETIME_MS: env.durationMs(7 * 24 * 3_600_000),
  /** Age at which the active signing key is replaced (Kaizen's rotation_interval: 30d). */
  AEGIS_AUTH_SIGNING_KEY_ROTATION_INTERVAL_MS: env.durationMs(30 * 24 * 3_600_000),
  /**
   * How long before it starts signing a scheduled successor is already published, so every
   * verifier's cached key set holds it in time (longer than the JWKS max-age and cooldown).
   */
  AEGIS_AUTH_SIGNING_KEY_PREPUBLISH_MS: env.durationMs(3_600_000),
  /** How long a replaced key stays published (verify-only): at least the longest access-token lifetime. */
  AEGIS_AUTH_SIGNING_KEY_RETENTION_MS: env.durationMs(MAX_ACCESS_TOKEN_TTL_MS + 10 * 60_000),
  /** How often each instance re-reads the keys, runs the rotation schedule and sweeps expired rows. */
  AEGIS_AUTH_SIGNING_KEY_CHECK_INTERVAL_MS: env.durationMs(60_000),
  /** `Cache-Control: max-age` of the JWKS and discovery documents. */
  AEGIS_AUTH_JWKS_MAX_AGE_MS: env.durationMs(300_000),
  /** Failed RefreshToken calls per source and window before the source is refused. */
  AEGIS_AUTH_REFRESH_FAILURE_LIMIT: z.coerce.number().int().min(1).default(20),
  AEGIS_AUTH_REFRESH_FAILURE_WINDOW_MS: env.durationMs(60_000),
}).superRefine((c, ctx) => {
  const problem = (variable: string, message: string) => ctx.addIssue({ code: 'custom', path: [variable], message });
  if (c.AEGIS_AUTH_ACCESS_TOKEN_TTL_MS < 60_000 || c.AEGIS_AUTH_ACCESS_TOKEN_TTL_MS > MAX_ACCESS_TOKEN_TTL_MS) {
    problem('AEGIS_AUTH_ACCESS_TOKEN_TTL_MS', 'must be between 1 minute and 24 hours');
  }
  if (c.AEGIS_AUTH_REFRESH_TOKEN_TTL_MS < 60_000) problem('AEGIS_AUTH_REFRESH_TOKEN_TTL_MS', 'must be at least 1 minute');
  if (c.AEGIS_AUTH_REFRESH_FAMILY_LIFETIME_MS < c.AEGIS_AUTH_REFRESH_TOKEN_TTL_MS) {
    problem('AEGIS_AUTH_REFRESH_FAMILY_LIFETIME_MS', 'must be at least AEGIS_AUTH_REFRESH_TOKEN_TTL_MS');
  }
  // A key unpublished before the last token it signed expired would reject valid tokens.
  if (c.AEGIS_AUTH_SIGNING_KEY_RETENTION_MS < MAX_ACCESS_TOKEN_TTL_MS) {
    problem('AEGIS_AUTH_SIGNING_KEY_RETENTION_MS', 'must be at least 24 hours, the longest access-token lifetime');
  }
  if (c.AEGIS_AUTH_SIGNING_KEY_ROTATION_INTERVAL_MS <= c.AEGIS_AUTH_SIGNING_KEY_PREPUBLISH_MS) {
    problem('AEGIS_AUTH_SIGNING_KEY_ROTATION_INTERVAL_MS', 'must be longer than AEGIS_AUTH_SIGNING_KEY_PREPUBLISH_MS');
  }
  if (c.AEGIS_AUTH_SIGNING_KEY_CHECK_INTERVAL_MS < 100) problem('AEGIS_AUTH_SIGNING_KEY_CHECK_INTERVAL_MS', 'must be at least 100 ms');
  if (c.AEGIS_AUTH_SIGNING_KEY_PREPUBLISH_MS < c.AEGIS_AUTH_JWKS_MAX_AGE_MS) {
    problem('AEGIS_AUTH_SIGNING_KEY_PREPUBLISH_MS', 'must be at least AEGIS_AUTH_JWKS_MAX_AGE_MS, or cached key sets miss the next key');
  }
});

export type TokensConfig = z.infer<typeof tokensEnvSchema>;

export function loadTokensConfig(source: EnvSource): TokensConfig {
  return loadConfig(tokensEnvSchema, source);
}
