// Start-up configuration of audit checkpoints: the signing key and how often to sign.
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { env, loadConfig, type EnvSource } from '../config/index.js';
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
  const text = await loadOrCreateKeyFile(file);
  try {
    return { signingKey: parseSigningKey(text), source: 'file', file, ...common };
  } catch (err) {
    throw new Error(`${file} ${(err as Error).message}; restore it, or set ${SIGNING_KEY_VARIABLE}`);
  }
}

// Like auth's dev secrets: written whole under a private name, then linked into place, so
// processes starting together on one data directory all end up with the first one's key.
async function loadOrCreateKeyFile(file: string): Promise<string> {
  const existing = await readKey(file);
  if (existing !== undefined) return existing;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const staged = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  const handle = await open(staged, 'wx', 0o600);
  try {
    await handle.writeFile(generateSigningKey().pkcs8Base64);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(staged, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(staged).catch(() => undefined);
  }
  const stored = await readKey(file);
  if (stored === undefined) throw new Error(`${file} vanished while it was being created`);
  return stored;
}

async function readKey(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
