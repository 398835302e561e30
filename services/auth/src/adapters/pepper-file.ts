import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const PEPPER_BYTES = 32;

/**
 * The configured pepper, or — for a single-host installation with none configured — one
 * generated on first start and kept in the service's data directory, readable by its owner only.
 */
export async function loadPepper(configured: string | undefined, serviceDataDir: string): Promise<{ pepper: Buffer; source: 'env' | 'file' }> {
  if (configured !== undefined) return { pepper: Buffer.from(configured, 'base64'), source: 'env' };
  const file = join(serviceDataDir, 'api-key-pepper');
  try {
    return { pepper: Buffer.from((await readFile(file, 'utf8')).trim(), 'base64'), source: 'file' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const pepper = randomBytes(PEPPER_BYTES);
  // 'wx': if another process created it in between, fail rather than overwrite its pepper.
  await writeFile(file, pepper.toString('base64'), { mode: 0o600, flag: 'wx' });
  return { pepper, source: 'file' };
}
