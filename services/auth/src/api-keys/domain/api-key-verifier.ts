import type { StoredApiKey } from '../ports.js';
import { apiKeyDigest, digestsEqual } from './api-key-digest.js';
import { parseApiKey } from './api-key-format.js';
import { keyRejection } from './api-key-status.js';

export type ApiKeyInvalidReason = 'malformed' | 'bad_checksum' | 'not_found' | 'revoked' | 'expired' | 'disabled' | 'owner_disabled';

export type ApiKeyVerdict =
  /** `key.roles` are the roles the key acts with now: granted to the key and still held by its owner. */
  | { valid: true; key: StoredApiKey }
  /** `keyId` is set when the key was found but may not be used (revoked, disabled, ...). */
  | { valid: false; reason: ApiKeyInvalidReason; keyId?: string };

/** Where stored keys come from: the database, or the caches in front of it. */
export interface KeyRecordSource {
  findByDigest(digest: Uint8Array): Promise<StoredApiKey | undefined>;
}

/**
 * Decides whether a presented key may be used now. Look-alikes and typos are rejected by the
 * checksum before any storage read; a key of another tenant is reported as not found, so a
 * caller cannot learn that it exists.
 */
export class ApiKeyVerifier {
  constructor(
    private readonly source: KeyRecordSource,
    private readonly pepper: Uint8Array,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async verify(presented: string, expectedTenantId?: string): Promise<ApiKeyVerdict> {
    const parsed = parseApiKey(presented);
    if (!parsed.ok) return { valid: false, reason: parsed.reason };
    const digest = apiKeyDigest(this.pepper, presented);
    const key = await this.source.findByDigest(digest);
    if (key === undefined || !digestsEqual(key.digest, digest)) return { valid: false, reason: 'not_found' };
    if (expectedTenantId !== undefined && expectedTenantId !== key.tenantId) return { valid: false, reason: 'not_found' };
    const rejection = keyRejection(key, this.now());
    if (rejection !== undefined) return { valid: false, reason: rejection, keyId: key.id };
    // The usual case (the owner still holds every role of the key) answers with the cached
    // record itself: no copy on the hot path.
    const roles = effectiveRoles(key);
    return { valid: true, key: roles.length === key.roles.length ? key : { ...key, roles } };
  }
}

/** A key never acts with a role its owner no longer holds (roles were a subset at creation). */
export function effectiveRoles(key: Pick<StoredApiKey, 'roles' | 'ownerRoles'>): string[] {
  return key.roles.filter((role) => key.ownerRoles.includes(role));
}
