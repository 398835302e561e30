import { join } from 'node:path';
import { z } from 'zod';
import { env, generateKeyringSpec, loadConfig, parseKeyring, type EnvSource, type Keyring } from '@aegis/shared';
import { randomBytes } from 'node:crypto';
import { loadOrCreateDevSecret } from '@aegis/shared';

/** The pii service's own variables (docs/configuration.md, "PII service variables"). */
export const piiEnvSchema = z.object({
  /** Base64 of at least 32 bytes: the HMAC key tenants' hash keys are derived from (Hash, audit value hashes). */
  AEGIS_PII_HASH_KEY: z.string().trim().optional().refine((v) => v === undefined || Buffer.from(v, 'base64').length >= 32, 'must be base64 of at least 32 bytes'),
  /** Keyring "kid:<base64 32 bytes>,..." for Tokenize; the first key seals, all open. */
  AEGIS_PII_TOKEN_KEYS: z.string().trim().optional().refine((v) => {
    if (v === undefined) return true;
    try {
      parseKeyring(v);
      return true;
    } catch {
      return false;
    }
  }, 'must be "<key id>:<base64 of 32 bytes>" entries separated by commas'),
  /** Emit `pii.detected` for Scans whose findings matched only LOG, MASK or REDACT rules without alert. */
  AEGIS_PII_AUDIT_DETECTIONS: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /** WatchDlpChanges sends a heartbeat after this long without a change. */
  AEGIS_PII_WATCH_HEARTBEAT_MS: env.durationMs(5_000),
});

export type PiiConfig = z.infer<typeof piiEnvSchema>;

export function loadPiiConfig(env: EnvSource = process.env): PiiConfig {
  return loadConfig(piiEnvSchema, env);
}

export interface PiiSecrets {
  hashKey: Buffer;
  tokenKeyring: Keyring;
  /** 'file' when either was generated into the data directory (single host only). */
  source: 'env' | 'file';
}

/** The configured keys, or keys generated once into the service's data directory. */
export async function loadPiiSecrets(config: PiiConfig, serviceDataDir: string): Promise<PiiSecrets> {
  const hashKey = config.AEGIS_PII_HASH_KEY !== undefined
    ? Buffer.from(config.AEGIS_PII_HASH_KEY, 'base64')
    : Buffer.from(await loadOrCreateDevSecret({
      file: join(serviceDataDir, 'hash-key'),
      generate: () => randomBytes(32).toString('base64'),
      problem: (text) => (Buffer.from(text, 'base64').length >= 32 ? undefined : 'does not hold a base64 key of at least 32 bytes; restore it, or set AEGIS_PII_HASH_KEY'),
    }), 'base64');
  const tokenSpec = config.AEGIS_PII_TOKEN_KEYS ?? await loadOrCreateDevSecret({
    file: join(serviceDataDir, 'token-keys'),
    generate: () => generateKeyringSpec(),
    problem: (text) => {
      try {
        parseKeyring(text);
        return undefined;
      } catch {
        return 'does not hold a valid keyring; restore it, or set AEGIS_PII_TOKEN_KEYS';
      }
    },
  });
  const source = config.AEGIS_PII_HASH_KEY !== undefined && config.AEGIS_PII_TOKEN_KEYS !== undefined ? 'env' : 'file';
  return { hashKey, tokenKeyring: parseKeyring(tokenSpec), source };
}
