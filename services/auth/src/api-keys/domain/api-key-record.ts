import type { RateLimitTierName } from '../ports.js';

/** A key as management sees it (never the secret: its digest and a hint). */
export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  userId: string;
  name: string;
  environment: string;
  digest: Uint8Array;
  hint: string;
  roles: string[];
  scopes: string[];
  tier: RateLimitTierName;
  metadata: Record<string, string>;
  expiresAt: Date | null;
  disabledAt: Date | null;
  revokedAt: Date | null;
  createTime: Date;
  lastUsedTime: Date | null;
  rotatedFrom: string | null;
  rotatedTo: string | null;
  version: bigint;
}

/** A key about to be stored. */
export interface NewApiKey {
  id: string;
  tenantId: string;
  userId: string;
  name: string;
  environment: string;
  digest: Uint8Array;
  hint: string;
  roles: string[];
  scopes?: string[];
  tier: RateLimitTierName;
  metadata?: Record<string, string>;
  expiresAt?: Date | null;
  rotatedFrom?: string;
}

/** The mutable fields; absent = unchanged. */
export interface KeyPatch {
  name?: string;
  roles?: string[];
  scopes?: string[];
  tier?: RateLimitTierName;
  metadata?: Record<string, string>;
  expiresAt?: Date | null;
  disabledAt?: Date | null;
  revokedAt?: Date;
}

export type KeyStatus = 'active' | 'disabled' | 'revoked';

/** Lifecycle state as the contract's ApiKeyStatus: expiry is not a state (it is derived at verification). */
export function keyStatus(record: Pick<ApiKeyRecord, 'revokedAt' | 'disabledAt'>): KeyStatus {
  if (record.revokedAt !== null) return 'revoked';
  if (record.disabledAt !== null) return 'disabled';
  return 'active';
}

/** A key rotated away whose grace period is over: listed only with include_revoked, like a revoked key. */
export function isRetired(record: Pick<ApiKeyRecord, 'revokedAt' | 'rotatedTo' | 'expiresAt'>, now: Date): boolean {
  if (record.revokedAt !== null) return true;
  return record.rotatedTo !== null && record.expiresAt !== null && record.expiresAt <= now;
}
