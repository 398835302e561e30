import { uuidv7 } from 'uuidv7';
import { apiKeyDigest } from './domain/api-key-digest.js';
import { apiKeyHint, generateApiKey } from './domain/api-key-format.js';
import type { ApiKeyStore } from './ports.js';

export interface BootstrapCredential {
  tenantId: string;
  userId: string;
  keyId: string;
  /** The plaintext key: returned once, printed once, never stored. */
  secret: string;
  hint: string;
}

export interface BootstrapOptions {
  tenantId: string;
  prefix: string;
  environment: string;
  pepper: Uint8Array;
}

/**
 * On a fresh database, creates the first tenant's administrator and an admin API key so the
 * operator can call the admin RPCs. Does nothing (returns undefined) once any key exists.
 */
export async function bootstrapAdmin(store: Pick<ApiKeyStore, 'createBootstrapAdmin'>, opts: BootstrapOptions): Promise<BootstrapCredential | undefined> {
  const secret = generateApiKey(opts.prefix, opts.environment);
  const keyId = uuidv7();
  const userId = 'admin';
  const hint = apiKeyHint(secret);
  const created = await store.createBootstrapAdmin({
    tenantId: opts.tenantId,
    tenantName: opts.tenantId,
    userId,
    key: {
      id: keyId,
      tenantId: opts.tenantId,
      userId,
      name: 'bootstrap admin',
      environment: opts.environment,
      digest: apiKeyDigest(opts.pepper, secret),
      hint,
      roles: ['admin'],
      tier: 'enterprise',
    },
  });
  return created ? { tenantId: opts.tenantId, userId, keyId, secret, hint } : undefined;
}
