// Single-host fallback for secrets nobody configured (auth pepper and keyring, pii keys, the audit
// signing key): one file per secret in the data directory.
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface DevSecretFile {
  file: string;
  /** A fresh secret, as the text to store. */
  generate(): string;
  /** Why the stored text is unusable (never quoting it), or undefined when it is fine. */
  problem(text: string): string | undefined;
}

/**
 * A secret for a single-host installation with none configured: generated on first start and
 * kept in the service's data directory, readable by its owner only. Returns the stored text.
 */
export async function loadOrCreateDevSecret(spec: DevSecretFile): Promise<string> {
  const existing = await readSecretFile(spec);
  if (existing !== undefined) return existing;

  await mkdir(dirname(spec.file), { recursive: true, mode: 0o700 });
  const secret = spec.generate();
  // Written whole and synced under a private name, then linked into place. link() fails if the
  // name exists, so instances starting together on one data directory all end up with the
  // first one's secret, and none ever reads a half-written file.
  const staged = `${spec.file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  const handle = await open(staged, 'wx', 0o600);
  try {
    await handle.writeFile(secret);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(staged, spec.file);
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const winner = await readSecretFile(spec);
    if (winner === undefined) throw new Error(`${spec.file} vanished while it was being created`);
    return winner;
  } finally {
    await unlink(staged).catch(() => undefined);
  }
}

/** undefined when the file does not exist; an error (never its content) when it is unusable. */
async function readSecretFile(spec: DevSecretFile): Promise<string | undefined> {
  let text: string;
  try {
    text = (await readFile(spec.file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const problem = spec.problem(text);
  // Silently replacing it would invalidate everything it protects; using it weakens it.
  if (problem !== undefined) throw new Error(`${spec.file} ${problem}`);
  return text;
}
