import type { StoredKeyState } from './domain/api-key-status.js';
import type { ApiKeyRecord, KeyPatch, NewApiKey } from './domain/api-key-record.js';

export type RateLimitTierName = 'free' | 'pro' | 'enterprise';

/** A stored API key as verification needs it (never the secret: only its digest). */
export interface StoredApiKey extends StoredKeyState {
  id: string;
  tenantId: string;
  userId: string;
  digest: Uint8Array;
  /** The roles granted to the key. */
  roles: string[];
  /** The owner's roles now: a key never acts with a role its owner lost since. */
  ownerRoles: string[];
  scopes: string[];
  tier: RateLimitTierName;
}

export interface BootstrapAdmin {
  tenantId: string;
  tenantName: string;
  userId: string;
  key: NewApiKey;
}

/** The verification side of storage: the hot path's only database reads and writes. */
export interface ApiKeyStore {
  findByDigest(digest: Uint8Array): Promise<StoredApiKey | undefined>;
  /**
   * Creates the first tenant, its admin user and their key in one transaction, unless any
   * API key already exists. Returns false when there was nothing to do.
   */
  createBootstrapAdmin(admin: BootstrapAdmin): Promise<boolean>;
  /** Batched last-used times (key id → time); never moves a time backwards. */
  recordLastUsed(uses: ReadonlyMap<string, Date>): Promise<void>;
}

/** The owner of a key, as creation and update check it. */
export interface KeyOwner {
  roles: string[];
  disabled: boolean;
}

/** What cache invalidation needs to name a key everywhere. */
export interface KeyRef {
  tenantId: string;
  keyId: string;
  digest: Uint8Array;
}

export interface ApiKeyListQuery {
  tenantId: string;
  userId?: string;
  includeRevoked: boolean;
  /** Keys with ids below this one (the previous page's last), newest first. */
  beforeKeyId?: string;
  limit: number;
  now: Date;
}

/** What a lifecycle decision asks of the store: nothing (idempotent repeat) or these fields. */
export type KeyChange = { kind: 'unchanged' } | { kind: 'patch'; patch: KeyPatch };

export interface RotationPlan {
  /** The new key (same configuration, new secret). */
  next: NewApiKey;
  /** The old key's new expiry: the end of its grace period. */
  previousExpiresAt: Date;
}

/** The management side of storage. Every change bumps `version`. */
export interface ApiKeyRepository {
  findOwner(tenantId: string, userId: string): Promise<KeyOwner | undefined>;
  /** AlreadyExists when the owner has a live key of that name. */
  insert(key: NewApiKey): Promise<ApiKeyRecord>;
  get(tenantId: string, keyId: string): Promise<ApiKeyRecord | undefined>;
  /** Newest first, at most `limit` records. */
  list(query: ApiKeyListQuery): Promise<ApiKeyRecord[]>;
  /**
   * Locks the key, asks `decide` (which may throw to refuse) and applies its change.
   * Undefined when there is no such key.
   */
  change(tenantId: string, keyId: string, decide: (current: ApiKeyRecord) => KeyChange): Promise<{ record: ApiKeyRecord; changed: boolean } | undefined>;
  /** Locks the key, asks `plan`, then points the old key at a new one, in one transaction. */
  rotate(tenantId: string, keyId: string, plan: (current: ApiKeyRecord) => RotationPlan): Promise<{ previous: ApiKeyRecord; next: ApiKeyRecord } | undefined>;
  /** Every key of a user (any state): what to drop from caches when the user is disabled. */
  keysOfUser(tenantId: string, userId: string): Promise<KeyRef[]>;
}

/** What the shared cache (Redis when configured) holds for a digest. */
export type SharedCacheEntry =
  | { kind: 'found'; key: StoredApiKey }
  /** No key has this digest (a negative entry). */
  | { kind: 'unknown' }
  /** Invalidated moments ago: read the database, and do not put an entry back yet. */
  | { kind: 'stale' };

/** Verdicts shared by every auth instance, keyed by digest (hex), so a new instance does not hit Postgres for hot keys. */
export interface SharedKeyCache {
  get(digestHex: string): Promise<SharedCacheEntry | undefined>;
  /** Stores only if nothing is there: an invalidation's `stale` marker wins over a lookup racing with it. */
  populate(digestHex: string, entry: Exclude<SharedCacheEntry, { kind: 'stale' }>, ttlMs: number): Promise<void>;
  /** Replaces the entry with a `stale` marker for `holdMs`. */
  invalidate(digestHex: string, holdMs: number): Promise<void>;
}
