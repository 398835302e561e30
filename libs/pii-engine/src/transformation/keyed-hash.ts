import { createHmac } from 'node:crypto';

/**
 * Keyed HMAC-SHA-256 of PII values: one key per tenant, derived from the service's hash key,
 * so the same value maps to the same token within a tenant and to unrelated tokens across
 * tenants. Used for Hash and for the value hashes in audit events.
 */
export class KeyedHasher {
  readonly #masterKey: Buffer;
  readonly #tenantKeys = new Map<string, Buffer>();

  constructor(masterKey: Buffer) {
    if (masterKey.length < 32) throw new RangeError('the hash key must be at least 32 bytes');
    this.#masterKey = masterKey;
  }

  /** Hex digest, truncated to `hexLength` characters (64 bits by default: a join key, not a proof). */
  hash(tenantId: string, type: string, value: string, hexLength = 16): string {
    return createHmac('sha256', this.#tenantKey(tenantId)).update(`${type}\u0000${value}`).digest('hex').slice(0, hexLength);
  }

  /** The Hash RPC's replacement: `<EMAIL:9f2c4e0b7a1d3c5e>`. */
  token(tenantId: string, type: string, value: string): string {
    return `<${type.toUpperCase()}:${this.hash(tenantId, type, value)}>`;
  }

  #tenantKey(tenantId: string): Buffer {
    let key = this.#tenantKeys.get(tenantId);
    if (key === undefined) {
      key = createHmac('sha256', this.#masterKey).update(`aegis-pii-hash:${tenantId}`).digest();
      if (this.#tenantKeys.size >= 10_000) this.#tenantKeys.clear();
      this.#tenantKeys.set(tenantId, key);
    }
    return key;
  }
}
