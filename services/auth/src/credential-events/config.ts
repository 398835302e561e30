import { z } from 'zod';
import { env, loadConfig, type EnvSource } from '@aegis/shared';

const positiveMs = (def: number) => env.durationMs(def).refine((ms) => ms > 0, 'must be more than 0');

/** The credential-event watch's variables (docs/auth.md), parsed once at start-up. */
export const credentialWatchEnvSchema = z.object({
  /** Longest silence on a watch stream: a heartbeat is sent after it, so both ends notice a dead stream. */
  AEGIS_AUTH_CREDENTIAL_WATCH_HEARTBEAT_MS: positiveMs(3_000),
  /** Events one watcher may have unread; past it the stream ends (ResourceExhausted) and the watcher starts afresh. */
  AEGIS_AUTH_CREDENTIAL_WATCH_BUFFER: z.coerce.number().int('must be a whole number').positive('must be more than 0').default(10_000),
});

export type CredentialWatchConfig = z.infer<typeof credentialWatchEnvSchema>;

export function loadCredentialWatchConfig(source: EnvSource): CredentialWatchConfig {
  return loadConfig(credentialWatchEnvSchema, source);
}
