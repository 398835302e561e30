import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const PEPPER_BYTES = 32;

/**
 * The configured pepper, or — for a single-host installation with none configured — one
 * generated on first start and kept in the service's data directory, readable by its owner only.
 */
export async function loadPepper(configured: string | undefined, serviceDataDir: string): Promise<{ pepper: Buffer; source: 'env' | 'file' }> {
  if (configured !== undefined) return { pepper: Buffer.from(configured, 'base64'), source: 'env' };
  const file = join(serviceDataDir, 'api-key-pepper');
  const existing = await readPepperFile(file);
  if (existing !== undefined) return { pepper: existing, source: 'file' };

  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const pepper = randomBytes(PEPPER_BYTES);
  // Written whole and synced under a private name, then linked into place. link() fails if the
  // name exists, so instances starting together on one data directory all end up with the
  // first one's pepper, and none ever reads a half-written file (which would be a weak pepper).
  const staged = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  const handle = await open(staged, 'wx', 0o600);
  try {
    await handle.writeFile(pepper.toString('base64'));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(staged, file);
    return { pepper, source: 'file' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const winner = await readPepperFile(file);
    if (winner === undefined) throw new Error(`${file} vanished while it was being created`);
    return { pepper: winner, source: 'file' };
  } finally {
    await unlink(staged).catch(() => undefined);
  }
}

/** undefined when the file does not exist; an error (never its content) when it is not a usable pepper. */
async function readPepperFile(file: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const pepper = Buffer.from(text.trim(), 'base64');
  // Silently using a short or empty pepper would weaken every stored digest; a new one would
  // invalidate every key. Neither is this code's call to make.
  if (pepper.length < PEPPER_BYTES) throw new Error(`${file} does not hold a base64 pepper of at least ${PEPPER_BYTES} bytes; restore it, or set AEGIS_AUTH_API_KEY_PEPPER`);
  return pepper;
}
