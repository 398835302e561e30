import { z } from 'zod';
import { env, loadConfig, type EnvSource } from '@aegis/shared';

// The SSO module's own variables (docs/auth/sso.md), parsed once from the service environment.
// Provider base URLs are configurable so GitHub Enterprise Server, sovereign Microsoft clouds
// and the local stand-ins of the tests work without code changes.
const baseUrl = (def: string) => env.url({ protocols: ['https', 'http'] }).default(def).transform((url) => url.replace(/\/+$/, ''));

export const ssoEnvSchema = z.object({
  /** Exact redirect URIs GetAuthorizationUrl accepts (comma-separated); empty refuses every login. */
  AEGIS_AUTH_SSO_REDIRECT_URIS: env.commaList().optional(),
  /** How long a started login (state, PKCE verifier, nonce) may wait for its code. */
  AEGIS_AUTH_SSO_STATE_TTL_MS: env.durationMs(10 * 60_000),
  /** Per request to a provider (discovery, JWKS, token, userinfo). */
  AEGIS_AUTH_SSO_HTTP_TIMEOUT_MS: env.durationMs(5_000),
  AEGIS_AUTH_SSO_DISCOVERY_TTL_MS: env.durationMs(60 * 60_000),
  AEGIS_AUTH_SSO_JWKS_TTL_MS: env.durationMs(10 * 60_000),
  /** Skew allowed on ID-token exp/iat/nbf (RFC 8725: small). */
  AEGIS_AUTH_SSO_CLOCK_TOLERANCE_MS: env.durationMs(30_000),
  /** Session timeout of tenants that never set a session policy (Kaizen default 1 h). */
  AEGIS_AUTH_SSO_SESSION_TIMEOUT_MS: env.durationMs(3_600_000),
  /** Roles of a user created by a first login when the provider names none. */
  AEGIS_AUTH_SSO_DEFAULT_ROLES: env.commaList().default(['viewer']),
  /** Failed ExchangeCode calls per source and window before further attempts are refused. */
  AEGIS_AUTH_SSO_FAILURE_LIMIT: z.coerce.number().int().min(1).default(20),
  AEGIS_AUTH_SSO_FAILURE_WINDOW_MS: env.durationMs(60_000),
  /** Lets provider URLs use plain http on loopback hosts (local development and tests only). */
  AEGIS_AUTH_SSO_ALLOW_HTTP_LOOPBACK: env.bool(false),
  AEGIS_AUTH_SSO_GOOGLE_ISSUER: baseUrl('https://accounts.google.com'),
  AEGIS_AUTH_SSO_MICROSOFT_AUTHORITY: baseUrl('https://login.microsoftonline.com'),
  AEGIS_AUTH_SSO_GITHUB_URL: baseUrl('https://github.com'),
  AEGIS_AUTH_SSO_GITHUB_API_URL: baseUrl('https://api.github.com'),
});

export type SsoConfig = z.infer<typeof ssoEnvSchema>;

export function loadSsoConfig(source: EnvSource): SsoConfig {
  return loadConfig(ssoEnvSchema, source);
}
