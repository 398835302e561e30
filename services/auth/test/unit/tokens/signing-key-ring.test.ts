// The key ring over an in-memory store (same contract as the Postgres one, lock included) and a
// controllable clock: the rotation schedule as instances experience it.
import { createLogger, generateKeyringSpec, MemoryBroadcast, parseKeyring } from '@aegis/shared';
import type { RotationPolicy } from '../../../src/tokens/domain/signing-key-schedule.js';
import type { SigningKeyStore, SigningKeyWriter } from '../../../src/tokens/ports.js';
import type { StoredSigningKey } from '../../../src/tokens/signing-key-material.js';
import { SigningKeyRing, type RotationTrigger } from '../../../src/tokens/signing-key-ring.js';

class MemorySigningKeyStore implements SigningKeyStore {
  readonly rows = new Map<string, StoredSigningKey>();
  #lock: Promise<unknown> = Promise.resolve();

  async list() {
    return [...this.rows.values()].map((k) => ({ ...k }));
  }

  underRotationLock<T>(fn: (keys: StoredSigningKey[], writer: SigningKeyWriter) => Promise<T>): Promise<T> {
    const run = this.#lock.then(async () => {
      const writer: SigningKeyWriter = {
        insert: async (key) => void this.rows.set(key.kid, { ...key }),
        retireUnretired: async (at, exceptKid) => {
          for (const key of this.rows.values()) if (key.retireTime === null && key.kid !== exceptKid) key.retireTime = at;
        },
        delete: async (kids) => kids.forEach((kid) => this.rows.delete(kid)),
      };
      return fn(await this.list(), writer);
    });
    this.#lock = run.catch(() => undefined);
    return run;
  }

  async reseal(kid: string, sealed: string) {
    const key = this.rows.get(kid);
    if (key !== undefined) key.sealedPrivateKey = sealed;
  }

  async deleteRetired(now: Date) {
    const gone = [...this.rows.values()].filter((k) => k.retireTime !== null && k.retireTime <= now).map((k) => k.kid);
    gone.forEach((kid) => this.rows.delete(kid));
    return gone;
  }
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const policy: RotationPolicy = { intervalMs: 30 * DAY, prepublishMs: HOUR, retentionMs: DAY + HOUR };
const keyring = parseKeyring(generateKeyringSpec('k1'));
const logger = createLogger({ service: 'test', level: 'silent' });

let clock: number;
let store: MemorySigningKeyStore;
let broadcast: MemoryBroadcast;
let rotations: Array<[string, RotationTrigger]>;
let rings: SigningKeyRing[];

function ring(): SigningKeyRing {
  const created = new SigningKeyRing({
    store, keyring, algorithm: 'EdDSA', policy, broadcast, logger,
    onRotated: async (key, trigger) => void rotations.push([key.kid, trigger]),
    now: () => new Date(clock),
  });
  rings.push(created);
  return created;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

beforeEach(() => {
  clock = Date.parse('2026-01-01T00:00:00Z');
  store = new MemorySigningKeyStore();
  broadcast = new MemoryBroadcast();
  rotations = [];
  rings = [];
});
afterEach(async () => {
  await Promise.all(rings.map((r) => r.close()));
  await broadcast.close();
});

test('instances starting together create exactly one key, and both sign with it', async () => {
  const [a, b] = [ring(), ring()];
  await Promise.all([a.start(), b.start()]);
  expect(store.rows.size).toBe(1);
  expect(rotations).toEqual([[[...store.rows.keys()][0], 'initial']]);
  expect((await a.signer()).kid).toBe((await b.signer()).kid);
});

test('the schedule pre-publishes the successor, and every instance switches at its activation without a message', async () => {
  const [a, b] = [ring(), ring()];
  await a.start();
  await b.start();
  const first = (await a.signer()).kid;

  clock += 30 * DAY - HOUR;
  await a.tick();
  await b.reload();
  expect(store.rows.size).toBe(2);
  const next = rotations[1]![0];
  expect(rotations[1]).toEqual([next, 'schedule']);
  // Published in both instances' key sets already, but not signing yet.
  expect(b.jwks().keys.map((k) => k.kid)).toEqual([next, first]);
  expect(b.published().map((p) => p.state)).toEqual(['pending', 'active']);
  expect((await b.signer()).kid).toBe(first);

  clock += HOUR;
  expect((await a.signer()).kid).toBe(next);
  expect((await b.signer()).kid).toBe(next);
  expect(b.published().map((p) => p.state)).toEqual(['active', 'verify_only']);

  // The old key stays published for the retention after it stopped signing, then goes.
  clock += policy.retentionMs - 1;
  await a.tick();
  expect(a.jwks().keys.map((k) => k.kid)).toEqual([next, first]);
  clock += 1;
  expect(a.jwks().keys.map((k) => k.kid)).toEqual([next]);
  await a.tick();
  expect([...store.rows.keys()]).toEqual([next]);
});

test('RotateSigningKey on one instance: the other signs with the new key once the announcement arrives', async () => {
  const [a, b] = [ring(), ring()];
  await a.start();
  await b.start();
  const before = (await b.signer()).kid;
  clock += 1_000;
  const created = await a.rotateNow('ES256', { type: 3, id: 'ops' });
  await settle();
  expect(created.algorithm).toBe('ES256');
  expect((await b.signer()).kid).toBe(created.kid);
  expect((await b.signer()).algorithm).toBe('ES256');
  expect(b.published().map((p) => [p.key.kid, p.state])).toEqual([[created.kid, 'active'], [before, 'verify_only']]);
  expect(store.rows.get(before)!.retireTime).toEqual(new Date(clock + policy.retentionMs));
  expect(rotations.at(-1)).toEqual([created.kid, 'manual']);
});

test('a manual rotation discards a pending successor (it never signed anything)', async () => {
  const a = ring();
  await a.start();
  clock += 30 * DAY - HOUR / 2;
  await a.tick();
  const pending = rotations[1]![0];
  const created = await a.rotateNow('EdDSA');
  expect(store.rows.has(pending)).toBe(false);
  expect((await a.signer()).kid).toBe(created.kid);
});

test('a key whose seal does not open makes signing unavailable, not a crash', async () => {
  const a = ring();
  await a.start();
  const [kid] = [...store.rows.keys()];
  const sealed = store.rows.get(kid!)!.sealedPrivateKey;
  // A character in the middle of the ciphertext (the last one may carry only padding bits).
  const i = sealed.length - 20;
  store.rows.get(kid!)!.sealedPrivateKey = sealed.slice(0, i) + (sealed[i] === 'A' ? 'B' : 'A') + sealed.slice(i + 1);
  await a.reload();
  await expect(a.signer()).rejects.toMatchObject({ kind: 'unavailable' });
});
