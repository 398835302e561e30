import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadOrCreateDevSecret } from '@aegis/shared';

const PEPPER_BYTES = 32;

/** The configured pepper, or one generated once into the service's data directory (single host). */
export async function loadPepper(configured: string | undefined, serviceDataDir: string): Promise<{ pepper: Buffer; source: 'env' | 'file' }> {
  if (configured !== undefined) return { pepper: Buffer.from(configured, 'base64'), source: 'env' };
  const text = await loadOrCreateDevSecret({
    file: join(serviceDataDir, 'api-key-pepper'),
    generate: () => randomBytes(PEPPER_BYTES).toString('base64'),
    problem: (stored) => Buffer.from(stored, 'base64').length < PEPPER_BYTES
      ? `does not hold a base64 pepper of at least ${PEPPER_BYTES} bytes; restore it, or set AEGIS_AUTH_API_KEY_PEPPER`
      : undefined,
  });
  return { pepper: Buffer.from(text, 'base64'), source: 'file' };
}
