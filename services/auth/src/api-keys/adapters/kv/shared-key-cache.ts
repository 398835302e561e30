import type { KeyValueStore } from '@aegis/shared';
import type { RateLimitTierName, SharedCacheEntry, SharedKeyCache, StoredApiKey } from '../../ports.js';

// Entries live in the service's KeyValueStore (Redis when REDIS_URL is set, namespaced
// `aegis:auth:`), under the key's peppered digest: Redis never sees a secret, and an entry
// cannot be planted for a key without knowing the pepper.

const PREFIX = 'api-key:v1:';
const UNKNOWN = 'unknown';
const STALE = 'stale';
const TIERS: ReadonlySet<string> = new Set<RateLimitTierName>(['free', 'pro', 'enterprise']);

interface CachedKey {
  id: string;
  tenantId: string;
  userId: string;
  digest: string;
  roles: string[];
  ownerRoles: string[];
  scopes: string[];
  tier: RateLimitTierName;
  expiresAt: number | null;
  disabledAt: number | null;
  revokedAt: number | null;
  ownerDisabled: boolean;
}

export class KvSharedKeyCache implements SharedKeyCache {
  constructor(private readonly kv: KeyValueStore) {}

  async get(digestHex: string): Promise<SharedCacheEntry | undefined> {
    const raw = await this.kv.get(PREFIX + digestHex);
    if (raw === undefined) return undefined;
    if (raw === UNKNOWN) return { kind: 'unknown' };
    if (raw === STALE) return { kind: 'stale' };
    const key = decode(raw);
    // An entry written by another version, or damaged: a miss, never a verdict.
    if (key === undefined || Buffer.from(key.digest).toString('hex') !== digestHex) return { kind: 'stale' };
    return { kind: 'found', key };
  }

  async populate(digestHex: string, entry: Exclude<SharedCacheEntry, { kind: 'stale' }>, ttlMs: number): Promise<void> {
    await this.kv.setIfAbsent(PREFIX + digestHex, entry.kind === 'unknown' ? UNKNOWN : encode(entry.key), ttlMs);
  }

  async invalidate(digestHex: string, holdMs: number): Promise<void> {
    await this.kv.set(PREFIX + digestHex, STALE, holdMs);
  }
}

const time = (d: Date | null): number | null => (d === null ? null : d.getTime());
const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

function encode(key: StoredApiKey): string {
  const cached: CachedKey = {
    id: key.id,
    tenantId: key.tenantId,
    userId: key.userId,
    digest: Buffer.from(key.digest).toString('hex'),
    roles: key.roles,
    ownerRoles: key.ownerRoles,
    scopes: key.scopes,
    tier: key.tier,
    expiresAt: time(key.expiresAt),
    disabledAt: time(key.disabledAt),
    revokedAt: time(key.revokedAt),
    ownerDisabled: key.ownerDisabled,
  };
  return JSON.stringify(cached);
}

function decode(raw: string): StoredApiKey | undefined {
  let c: Partial<CachedKey>;
  try {
    c = JSON.parse(raw) as Partial<CachedKey>;
  } catch {
    return undefined;
  }
  const strings = [c.id, c.tenantId, c.userId, c.digest].every((v) => typeof v === 'string');
  const lists = [c.roles, c.ownerRoles, c.scopes].every((v) => Array.isArray(v) && v.every((x) => typeof x === 'string'));
  const times = [c.expiresAt, c.disabledAt, c.revokedAt].every((v) => v === null || typeof v === 'number');
  if (!strings || !lists || !times || typeof c.ownerDisabled !== 'boolean' || !TIERS.has(String(c.tier))) return undefined;
  return {
    id: c.id!,
    tenantId: c.tenantId!,
    userId: c.userId!,
    digest: Buffer.from(c.digest!, 'hex'),
    roles: c.roles!,
    ownerRoles: c.ownerRoles!,
    scopes: c.scopes!,
    tier: c.tier!,
    expiresAt: date(c.expiresAt!),
    disabledAt: date(c.disabledAt!),
    revokedAt: date(c.revokedAt!),
    ownerDisabled: c.ownerDisabled,
  };
}
