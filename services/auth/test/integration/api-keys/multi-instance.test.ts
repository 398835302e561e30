// Two auth instances on one Postgres database and one Redis (as two replicas behind a load
// balancer): a key verified, and so cached, on both, then revoked, rotated or disabled through
// one, must be refused by the other within 1 second. Real backends only: the embedded ones
// are single-process by design.

import { randomBytes } from 'node:crypto';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { ApiKeyInvalidReason } from '@aegis/proto/aegis/auth/v1/api_key_pb.js';
import { generateApiKey } from '../../../src/api-keys/domain/api-key-format.js';
import { addUser, externalApiKeysBackend, startApiKeysAuth, tempDataDir, waitUntil, type ApiKeysAuth } from './api-keys-harness.js';

const TENANT = 'default';
const PROPAGATION_BUDGET_MS = 1_000;

describe('two auth instances on one database and one Redis', () => {
  const backend = externalApiKeysBackend();
  const dataDirs: Array<Awaited<ReturnType<typeof tempDataDir>>> = [];
  const instances: ApiKeysAuth[] = [];
  let one: ApiKeysAuth;
  let other: ApiKeysAuth;

  async function start(): Promise<ApiKeysAuth> {
    const dir = await tempDataDir();
    dataDirs.push(dir);
    const instance = await startApiKeysAuth(backend.env(dir.path));
    instances.push(instance);
    return instance;
  }

  beforeAll(async () => {
    await backend.setUp();
    one = await start();
    other = await start();
    if (one.adminKey === undefined) throw new Error('the first instance printed no bootstrap key');
    const db = await one.openDatabase();
    await addUser(db, TENANT, 'alice', ['developer']);
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    await Promise.all(dataDirs.map((d) => d.remove()));
    await backend.tearDown();
  });

  /** A new key, verified on both instances until both answer from their own cache. */
  async function keyCachedOnBoth(): Promise<{ secret: string; keyId: string }> {
    const res = await one.client(one.adminKey).createApiKey({ tenantId: TENANT, userId: 'alice', name: `k-${randomBytes(4).toString('hex')}` });
    for (const instance of [one, other]) {
      expect((await instance.client().verifyApiKey({ key: res.secret })).valid).toBe(true);
      const before = await instance.lookups('local');
      expect((await instance.client().verifyApiKey({ key: res.secret })).valid).toBe(true);
      expect(await instance.lookups('local')).toBe(before + 1);
    }
    return { secret: res.secret, keyId: res.apiKey!.keyId };
  }

  /** Time from the change's response until `other` gives `reason`, polling every 10 ms. */
  async function rejectedByOtherWithin(secret: string, reason: ApiKeyInvalidReason, change: () => Promise<unknown>): Promise<number> {
    await change();
    return waitUntil(async () => (await other.client().verifyApiKey({ key: secret })).reason === reason, 5_000);
  }

  test('a key revoked through one instance is refused by the other within 1 s', async () => {
    const { secret, keyId } = await keyCachedOnBoth();
    const elapsed = await rejectedByOtherWithin(secret, ApiKeyInvalidReason.REVOKED, () => one.client(one.adminKey).revokeApiKey({ tenantId: TENANT, keyId }));
    expect(elapsed).toBeLessThanOrEqual(PROPAGATION_BUDGET_MS);
  });

  test('a key rotated with grace 0 through one instance is refused (EXPIRED) by the other within 1 s; its successor verifies there', async () => {
    const { secret, keyId } = await keyCachedOnBoth();
    let successor = '';
    const elapsed = await rejectedByOtherWithin(secret, ApiKeyInvalidReason.EXPIRED, async () => {
      successor = (await one.client(one.adminKey).rotateApiKey({ tenantId: TENANT, keyId, gracePeriod: durationFromMs(0) })).secret;
    });
    expect(elapsed).toBeLessThanOrEqual(PROPAGATION_BUDGET_MS);
    expect((await other.client().verifyApiKey({ key: successor })).valid).toBe(true);
  });

  test('a key disabled through one instance is refused by the other within 1 s, and accepted again once enabled', async () => {
    const { secret, keyId } = await keyCachedOnBoth();
    const admin = one.client(one.adminKey);
    const elapsed = await rejectedByOtherWithin(secret, ApiKeyInvalidReason.DISABLED, () => admin.disableApiKey({ tenantId: TENANT, keyId }));
    expect(elapsed).toBeLessThanOrEqual(PROPAGATION_BUDGET_MS);
    await admin.enableApiKey({ tenantId: TENANT, keyId });
    const back = await waitUntil(async () => (await other.client().verifyApiKey({ key: secret })).valid, 5_000);
    expect(back).toBeLessThanOrEqual(PROPAGATION_BUDGET_MS);
  });

  test('the change is refused on the changing instance itself at once', async () => {
    const { secret, keyId } = await keyCachedOnBoth();
    await one.client(one.adminKey).revokeApiKey({ tenantId: TENANT, keyId });
    expect((await one.client().verifyApiKey({ key: secret })).reason).toBe(ApiKeyInvalidReason.REVOKED);
  });

  test('a third instance answers hot keys and known-unknown keys from Redis, without Postgres', async () => {
    const { secret } = await keyCachedOnBoth();
    const unknown = generateApiKey('genxai', 'live');
    expect((await one.client().verifyApiKey({ key: unknown })).reason).toBe(ApiKeyInvalidReason.NOT_FOUND);
    // The shared entries are written after the answer: give them a moment.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const third = await start();
    expect((await third.client().verifyApiKey({ key: secret })).valid).toBe(true);
    expect((await third.client().verifyApiKey({ key: unknown })).reason).toBe(ApiKeyInvalidReason.NOT_FOUND);
    expect(await third.lookups('shared')).toBe(1);
    expect(await third.lookups('shared_negative')).toBe(1);
    expect(await third.lookups('database')).toBe(0);
  });

  test('throttling is counted across instances: failures on both add up to one block', async () => {
    const source = `198.51.100.7-${randomBytes(4).toString('hex')}`;
    for (let i = 0; i < 6; i++) {
      const instance = i % 2 === 0 ? one : other;
      expect((await instance.client().verifyApiKey({ key: generateApiKey('genxai', 'live'), source })).reason).toBe(ApiKeyInvalidReason.NOT_FOUND);
    }
    // The sixth failure (on `other`) crossed the threshold of five; `one` learns at its next failure.
    expect((await other.client().verifyApiKey({ key: generateApiKey('genxai', 'live'), source })).reason).toBe(ApiKeyInvalidReason.THROTTLED);
    await one.client().verifyApiKey({ key: 'garbage', source });
    expect((await one.client().verifyApiKey({ key: generateApiKey('genxai', 'live'), source })).reason).toBe(ApiKeyInvalidReason.THROTTLED);
  });
});
