// Start-up configuration of audit checkpoints: the signing key and how often to sign.
import { join } from 'node:path';
import { z } from 'zod';
import { env, loadConfig, loadOrCreateDevSecret, type EnvSource } from '../config/index.js';
import { generateSigningKey, parseSigningKey, type AuditSigningKey } from './checkpoint-signature.js';

export const SIGNING_KEY_VARIABLE = 'AEGIS_AUDIT_SIGNING_KEY';

const schema = z.object({
  /** Base64 PKCS8 DER Ed25519 private key. Absent: generated into <AEGIS_DATA_DIR>/audit-signing-key. */
  AEGIS_AUDIT_SIGNING_KEY: z.string().trim().min(1).optional(),
  AEGIS_AUDIT_CHECKPOINT_EVENTS: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  AEGIS_AUDIT_CHECKPOINT_INTERVAL: env.durationMs(60_000),
});

export interface AuditSigningConfig {
  signingKey: AuditSigningKey;
  source: 'env' | 'file';
  /** The file the key was generated into, when source is 'file'. */
  file?: string;
  checkpointEvery: number;
  checkpointIntervalMs: number;
}

/** Parses the variables and loads (or, for a single host, generates once) the signing key. */
export async function loadAuditSigningConfig(source: EnvSource, dataDir: string): Promise<AuditSigningConfig> {
  const parsed = loadConfig(schema, source);
  const common = { checkpointEvery: parsed.AEGIS_AUDIT_CHECKPOINT_EVENTS, checkpointIntervalMs: parsed.AEGIS_AUDIT_CHECKPOINT_INTERVAL };
  if (parsed.AEGIS_AUDIT_SIGNING_KEY !== undefined) {
    try {
      return { signingKey: parseSigningKey(parsed.AEGIS_AUDIT_SIGNING_KEY), source: 'env', ...common };
    } catch (err) {
      throw new Error(`${SIGNING_KEY_VARIABLE} ${(err as Error).message}`);
    }
  }
  const file = join(dataDir, 'audit-signing-key');
  const text = await loadOrCreateDevSecret({
    file,
    generate: () => generateSigningKey().pkcs8Base64,
    problem: (stored) => {
      try {
        parseSigningKey(stored);
        return undefined;
      } catch (err) {
        return `${(err as Error).message}; restore it, or set ${SIGNING_KEY_VARIABLE}`;
      }
    },
  });
  return { signingKey: parseSigningKey(text), source: 'file', file, ...common };
}
