import { hkdfSync } from 'node:crypto';
import { openSealed, seal, SecretBoxError, type Keyring } from '@aegis/shared';

// Reversible tokens "<tok:TYPE:PAYLOAD>": PAYLOAD is the value sealed with AES-256-GCM (the
// shared secret box: "v1.<key id>.<iv>.<ciphertext+tag>") under the tenant's key, derived
// from the service keyring's key of the same id, with the tenant and type as associated
// data. Keys rotate by adding a new first key to the keyring: old tokens still open while
// their key id is listed; removing a key destroys every token sealed with it.

export const TOKEN_PATTERN = /<tok:([A-Z0-9_]{1,63}):(v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,20000})>/g;
const TOKEN_START = '<tok:';

export class TokenError extends Error {
  constructor(readonly reason: 'malformed' | 'unknown_key' | 'not_this_tenant', message: string) {
    super(message);
  }
}

export class TokenVault {
  readonly #keyring: Keyring;
  readonly #tenantKeyrings = new Map<string, Keyring>();

  constructor(keyring: Keyring) {
    this.#keyring = keyring;
  }

  get activeKeyId(): string {
    return this.#keyring.activeKeyId;
  }

  tokenize(tenantId: string, type: string, value: string): string {
    const upper = type.toUpperCase();
    return `<tok:${upper}:${seal(this.#tenantKeyring(tenantId), Buffer.from(value, 'utf8'), associatedData(tenantId, upper))}>`;
  }

  /** `text` with every token of this tenant opened; a token that cannot be opened fails the whole call. */
  detokenize(tenantId: string, text: string): { text: string; count: number; restored: { type: string; value: string }[] } {
    let count = 0;
    const restored: { type: string; value: string }[] = [];
    const keyring = this.#tenantKeyring(tenantId);
    const opened = text.replace(TOKEN_PATTERN, (_token, type: string, payload: string) => {
      const kid = payload.split('.')[1]!;
      if (!keyring.keys.has(kid)) throw new TokenError('unknown_key', `a token was sealed with key "${kid}", which is no longer in the keyring`);
      let value: Buffer;
      try {
        value = openSealed(keyring, payload, associatedData(tenantId, type));
      } catch (err) {
        if (err instanceof SecretBoxError) throw new TokenError('not_this_tenant', `a token does not open for tenant "${tenantId}" (another tenant's, or altered)`);
        throw err;
      }
      count++;
      const plain = value.toString('utf8');
      restored.push({ type: type.toLowerCase(), value: plain });
      return plain;
    });
    // Whatever still starts like a token was not one: say so rather than pass it through.
    if (opened.includes(TOKEN_START) && countTokenStarts(text) > count) throw new TokenError('malformed', 'the content has a malformed token ("<tok:" not followed by TYPE:PAYLOAD>)');
    return { text: opened, count, restored };
  }

  #tenantKeyring(tenantId: string): Keyring {
    let keyring = this.#tenantKeyrings.get(tenantId);
    if (keyring === undefined) {
      const keys = new Map<string, Buffer>();
      for (const [kid, key] of this.#keyring.keys) keys.set(kid, Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `aegis-pii-token:${tenantId}`, 32)));
      keyring = { activeKeyId: this.#keyring.activeKeyId, keys };
      if (this.#tenantKeyrings.size >= 10_000) this.#tenantKeyrings.clear();
      this.#tenantKeyrings.set(tenantId, keyring);
    }
    return keyring;
  }
}

function associatedData(tenantId: string, type: string): string {
  return `pii-token:${tenantId}:${type}`;
}

function countTokenStarts(text: string): number {
  let n = 0;
  for (let at = text.indexOf(TOKEN_START); at >= 0; at = text.indexOf(TOKEN_START, at + 1)) n++;
  return n;
}
