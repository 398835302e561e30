// Shared test data for the API-key unit tests: stored keys and a counting in-memory store.
import { randomBytes } from 'node:crypto';
import { createLogger } from '@aegis/shared';
import { apiKeyDigest } from '../../../src/api-keys/domain/api-key-digest.js';
import { generateApiKey } from '../../../src/api-keys/domain/api-key-format.js';
import type { ApiKeyRecord } from '../../../src/api-keys/domain/api-key-record.js';
import type { StoredApiKey } from '../../../src/api-keys/ports.js';

export const pepper = randomBytes(32);
export const quietLogger = createLogger({ service: 'api-keys-test', level: 'silent' });

let counter = 0;

export function storedKey(overrides: Partial<StoredApiKey> = {}): { secret: string; key: StoredApiKey } {
  const secret = generateApiKey('genxai', 'live');
  counter++;
  return {
    secret,
    key: {
      id: `0190a5c4-0000-7000-8000-${String(counter).padStart(12, '0')}`,
      tenantId: 'acme',
      userId: 'alice',
      digest: apiKeyDigest(pepper, secret),
      roles: ['developer'],
      ownerRoles: ['developer'],
      scopes: [],
      tier: 'pro',
      revokedAt: null,
      disabledAt: null,
      expiresAt: null,
      ownerDisabled: false,
      ...overrides,
    },
  };
}

export function keyRecord(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: '0190a5c4-0000-7000-8000-000000000abc',
    tenantId: 'acme',
    userId: 'alice',
    name: 'ci',
    environment: 'live',
    digest: randomBytes(32),
    hint: 'genxai_live_…AbCd',
    roles: ['developer'],
    scopes: ['policy:read'],
    tier: 'pro',
    metadata: { team: 'platform' },
    expiresAt: null,
    disabledAt: null,
    revokedAt: null,
    createTime: new Date('2025-01-01T00:00:00Z'),
    lastUsedTime: null,
    rotatedFrom: null,
    rotatedTo: null,
    version: 3n,
    ...overrides,
  };
}

/** Keys by digest; counts reads, and can be held so a test decides when a read completes. */
export class CountingStore {
  readonly keys = new Map<string, StoredApiKey>();
  reads = 0;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;

  add(key: StoredApiKey): void {
    this.keys.set(Buffer.from(key.digest).toString('hex'), key);
  }

  /** Reads wait until release() is called. */
  hold(): void {
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }

  release(): void {
    this.#open?.();
    this.#gate = undefined;
  }

  async findByDigest(digest: Uint8Array): Promise<StoredApiKey | undefined> {
    this.reads++;
    const found = this.keys.get(Buffer.from(digest).toString('hex'));
    if (this.#gate !== undefined) await this.#gate;
    return found === undefined ? undefined : { ...found };
  }
}
