import { join } from 'node:path';
import { generateKeyringSpec, parseKeyring, type Keyring } from '@aegis/shared';
import { loadOrCreateDevSecret } from '@aegis/shared';

/** The configured encryption keyring, or one generated once into the service's data directory (single host). */
export async function loadKeyring(configured: string | undefined, serviceDataDir: string): Promise<{ keyring: Keyring; source: 'env' | 'file' }> {
  if (configured !== undefined) return { keyring: parseKeyring(configured), source: 'env' };
  const text = await loadOrCreateDevSecret({
    file: join(serviceDataDir, 'encryption-keys'),
    generate: () => generateKeyringSpec(),
    problem: (stored) => {
      try {
        parseKeyring(stored);
        return undefined;
      } catch {
        return 'does not hold a valid keyring ("<kid>:<base64 32 bytes>,..."); restore it, or set AEGIS_AUTH_ENCRYPTION_KEYS';
      }
    },
  });
  return { keyring: parseKeyring(text), source: 'file' };
}
