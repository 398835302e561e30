import type { ApiKeyStore, StoredApiKey } from '../ports.js';
import { apiKeyDigest, digestsEqual } from './api-key-digest.js';
import { parseApiKey } from './api-key-format.js';
import { keyRejection } from './api-key-status.js';

export type ApiKeyInvalidReason = 'malformed' | 'bad_checksum' | 'not_found' | 'revoked' | 'expired' | 'disabled' | 'owner_disabled';

export type ApiKeyVerdict =
  | { valid: true; key: StoredApiKey }
  /** `keyId` is set when the key was found but may not be used (revoked, disabled, ...). */
  | { valid: false; reason: ApiKeyInvalidReason; keyId?: string };

/**
 * Decides whether a presented key may be used now. Look-alikes and typos are rejected by the
 * checksum before any storage read; a key of another tenant is reported as not found, so a
 * caller cannot learn that it exists.
 */
export class ApiKeyVerifier {
  constructor(
    private readonly store: ApiKeyStore,
    private readonly pepper: Uint8Array,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async verify(presented: string, expectedTenantId?: string): Promise<ApiKeyVerdict> {
    const parsed = parseApiKey(presented);
    if (!parsed.ok) return { valid: false, reason: parsed.reason };
    const digest = apiKeyDigest(this.pepper, presented);
    const key = await this.store.findByDigest(digest);
    if (key === undefined || !digestsEqual(key.digest, digest)) return { valid: false, reason: 'not_found' };
    if (expectedTenantId !== undefined && expectedTenantId !== key.tenantId) return { valid: false, reason: 'not_found' };
    const rejection = keyRejection(key, this.now());
    return rejection === undefined ? { valid: true, key } : { valid: false, reason: rejection, keyId: key.id };
  }
}
