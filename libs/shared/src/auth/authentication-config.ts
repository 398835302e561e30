import { z } from 'zod';
import { env, loadConfig, type EnvSource } from '../config/index.js';

/** What every service reads to authenticate its callers (docs/configuration.md). */
export const authenticationEnvSchema = z.object({
  /** Base URL of the auth service: VerifyApiKey and `/.well-known/jwks.json` (default below). */
  AEGIS_AUTH_URL: env.url({ protocols: ['http', 'https'] }).optional(),
  /** Expected `iss` of access tokens: auth's public URL (default: AEGIS_AUTH_URL). */
  AEGIS_AUTH_ISSUER: env.url({ protocols: ['http', 'https'] }).optional(),
  /** Accepted `aud` values of access tokens, comma-separated (default `aegis`). */
  AEGIS_AUTH_AUDIENCE: env.commaList().optional(),
  /** Deadline of one VerifyApiKey call to auth (default 2 s). */
  AEGIS_AUTH_VERIFY_TIMEOUT_MS: env.durationMs(2_000),
});

export const DEFAULT_AUTH_URL = 'http://127.0.0.1:8081';
export const DEFAULT_ACCESS_TOKEN_AUDIENCE = 'aegis';

export interface AuthenticationConfig {
  authUrl: string;
  issuer: string;
  audience: string[];
  verifyTimeoutMs: number;
}

/**
 * `authUrl` defaults, in order: AEGIS_AUTH_URL, the auth service started in the same process
 * (`npm start`, where auth may listen on any port), then auth's default address.
 */
export function loadAuthenticationConfig(source: EnvSource, defaults: { authUrl?: string } = {}): AuthenticationConfig {
  const parsed = loadConfig(authenticationEnvSchema, source);
  const authUrl = (parsed.AEGIS_AUTH_URL ?? defaults.authUrl ?? DEFAULT_AUTH_URL).replace(/\/+$/, '');
  return {
    authUrl,
    issuer: parsed.AEGIS_AUTH_ISSUER ?? authUrl,
    audience: parsed.AEGIS_AUTH_AUDIENCE ?? [DEFAULT_ACCESS_TOKEN_AUDIENCE],
    verifyTimeoutMs: parsed.AEGIS_AUTH_VERIFY_TIMEOUT_MS,
  };
}
