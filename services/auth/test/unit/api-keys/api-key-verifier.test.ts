import { randomBytes } from 'node:crypto';
import { apiKeyDigest } from '../../../src/api-keys/domain/api-key-digest.js';
import { generateApiKey } from '../../../src/api-keys/domain/api-key-format.js';
import { ApiKeyVerifier, type KeyRecordSource } from '../../../src/api-keys/domain/api-key-verifier.js';
import type { StoredApiKey } from '../../../src/api-keys/ports.js';

/** Keys by digest, counting reads so a test can prove a rejection never reached storage. */
class InMemoryApiKeyStore implements KeyRecordSource {
  readonly keys = new Map<string, StoredApiKey>();
  lookups = 0;

  add(key: StoredApiKey): void {
    this.keys.set(Buffer.from(key.digest).toString('hex'), key);
  }

  async findByDigest(digest: Uint8Array): Promise<StoredApiKey | undefined> {
    this.lookups++;
    return this.keys.get(Buffer.from(digest).toString('hex'));
  }
}

const now = new Date('2025-06-01T12:00:00.000Z');
const pepper = randomBytes(32);

function setUp(overrides: Partial<StoredApiKey> = {}): { store: InMemoryApiKeyStore; verifier: ApiKeyVerifier; secret: string; stored: StoredApiKey } {
  const store = new InMemoryApiKeyStore();
  const secret = generateApiKey('genxai', 'live');
  const stored: StoredApiKey = {
    id: '0190a5c4-0000-7000-8000-000000000001',
    tenantId: 'acme',
    userId: 'alice',
    digest: apiKeyDigest(pepper, secret),
    roles: ['developer'],
    ownerRoles: ['developer', 'viewer'],
    scopes: ['policy:read'],
    tier: 'pro',
    revokedAt: null,
    disabledAt: null,
    expiresAt: null,
    ownerDisabled: false,
    ...overrides,
  };
  store.add(stored);
  return { store, verifier: new ApiKeyVerifier(store, pepper, () => now), secret, stored };
}

describe('ApiKeyVerifier', () => {
  test('accepts a stored key and returns its record', async () => {
    const { verifier, secret, stored } = setUp();
    await expect(verifier.verify(secret)).resolves.toEqual({ valid: true, key: stored });
    await expect(verifier.verify(secret, 'acme')).resolves.toEqual({ valid: true, key: stored });
  });

  test('a malformed key never reaches the store', async () => {
    const { verifier, store, secret } = setUp();
    for (const presented of ['', 'garbage', `${secret}x`, secret.replace('_live_', '-live-')]) {
      await expect(verifier.verify(presented)).resolves.toEqual({ valid: false, reason: 'malformed' });
    }
    expect(store.lookups).toBe(0);
  });

  test('a look-alike with a bad checksum never reaches the store', async () => {
    const { verifier, store, secret } = setUp();
    const i = 20;
    const lookAlike = secret.slice(0, i) + (secret[i] === 'a' ? 'b' : 'a') + secret.slice(i + 1);
    await expect(verifier.verify(lookAlike)).resolves.toEqual({ valid: false, reason: 'bad_checksum' });
    await expect(verifier.verify(secret.replace('_live_', '_test_'))).resolves.toEqual({ valid: false, reason: 'bad_checksum' });
    expect(store.lookups).toBe(0);
  });

  test('a well-formed key that is not stored is not found (after one lookup)', async () => {
    const { verifier, store } = setUp();
    await expect(verifier.verify(generateApiKey('genxai', 'live'))).resolves.toEqual({ valid: false, reason: 'not_found' });
    expect(store.lookups).toBe(1);
  });

  test('the same key under another pepper is not found', async () => {
    const { store, secret } = setUp();
    const otherPepper = new ApiKeyVerifier(store, randomBytes(32), () => now);
    await expect(otherPepper.verify(secret)).resolves.toEqual({ valid: false, reason: 'not_found' });
  });

  test("another tenant's key is reported as not found, not as a mismatch", async () => {
    const { verifier, secret } = setUp();
    await expect(verifier.verify(secret, 'globex')).resolves.toEqual({ valid: false, reason: 'not_found' });
  });

  test('a store returning a record whose digest differs is not trusted', async () => {
    const { store, verifier, secret, stored } = setUp();
    // A store matching loosely (a truncated index, a bad cache) must not let a key through.
    store.findByDigest = async () => ({ ...stored, digest: apiKeyDigest(pepper, generateApiKey('genxai', 'live')) });
    await expect(verifier.verify(secret)).resolves.toEqual({ valid: false, reason: 'not_found' });
  });

  test.each([
    ['revoked', { revokedAt: new Date(now.getTime() - 1) }],
    ['disabled', { disabledAt: new Date(now.getTime() - 1) }],
    ['owner_disabled', { ownerDisabled: true }],
    ['expired', { expiresAt: now }],
  ] as const)('reports %s, naming the key that was found', async (reason, state) => {
    const { verifier, secret, stored } = setUp(state);
    await expect(verifier.verify(secret)).resolves.toEqual({ valid: false, reason, keyId: stored.id });
  });

  test("another tenant's key is not found even when it is also revoked: its state is not revealed either", async () => {
    const { verifier, secret } = setUp({ revokedAt: new Date(now.getTime() - 1) });
    await expect(verifier.verify(secret, 'globex')).resolves.toEqual({ valid: false, reason: 'not_found' });
  });

  test('a key rotated away verifies until the end of its grace period (its expiry), then is EXPIRED', async () => {
    const graceEnd = new Date(now.getTime() + 60_000);
    const { store, secret, stored } = setUp({ expiresAt: graceEnd });
    await expect(new ApiKeyVerifier(store, pepper, () => now).verify(secret)).resolves.toMatchObject({ valid: true });
    await expect(new ApiKeyVerifier(store, pepper, () => graceEnd).verify(secret)).resolves.toEqual({ valid: false, reason: 'expired', keyId: stored.id });
  });

  test('a key acts only with the roles its owner still holds', async () => {
    const { verifier, secret } = setUp({ roles: ['developer', 'operator'], ownerRoles: ['operator', 'viewer'] });
    const verdict = await verifier.verify(secret);
    expect(verdict).toMatchObject({ valid: true, key: { roles: ['operator'] } });
  });

  test('an owner who lost every role of the key leaves it valid but with no role', async () => {
    const { verifier, secret } = setUp({ roles: ['developer'], ownerRoles: [] });
    await expect(verifier.verify(secret)).resolves.toMatchObject({ valid: true, key: { roles: [] } });
  });

  test('reads the clock on every call', async () => {
    const store = new InMemoryApiKeyStore();
    const secret = generateApiKey('genxai', 'live');
    const expiresAt = new Date(now.getTime() + 1_000);
    store.add({ ...setUp().stored, digest: apiKeyDigest(pepper, secret), expiresAt });
    let clock = now;
    const verifier = new ApiKeyVerifier(store, pepper, () => clock);
    await expect(verifier.verify(secret)).resolves.toMatchObject({ valid: true });
    clock = expiresAt;
    await expect(verifier.verify(secret)).resolves.toMatchObject({ valid: false, reason: 'expired' });
  });
});
