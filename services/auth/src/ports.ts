import type { StoredKeyState } from './domain/api-key-status.js';

export type RateLimitTierName = 'free' | 'pro' | 'enterprise';

/** A stored API key as verification needs it (never the secret: only its digest). */
export interface StoredApiKey extends StoredKeyState {
  id: string;
  tenantId: string;
  userId: string;
  digest: Uint8Array;
  roles: string[];
  scopes: string[];
  tier: RateLimitTierName;
}

export interface NewApiKey {
  id: string;
  tenantId: string;
  userId: string;
  name: string;
  environment: string;
  digest: Uint8Array;
  hint: string;
  roles: string[];
  tier: RateLimitTierName;
}

export interface BootstrapAdmin {
  tenantId: string;
  tenantName: string;
  userId: string;
  key: NewApiKey;
}

export interface ApiKeyStore {
  findByDigest(digest: Uint8Array): Promise<StoredApiKey | undefined>;
  /**
   * Creates the first tenant, its admin user and their key in one transaction, unless any
   * API key already exists. Returns false when there was nothing to do.
   */
  createBootstrapAdmin(admin: BootstrapAdmin): Promise<boolean>;
}
