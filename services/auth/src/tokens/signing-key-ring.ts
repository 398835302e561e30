import type { CryptoKey, JWK, JWTVerifyGetKey } from 'jose';
import { localKeySet, needsReseal, openSealed, seal, unavailable, type ActorInit, type Broadcast, type Keyring, type Logger } from '@aegis/shared';
import type { SigningAlgorithm } from './domain/signing-algorithms.js';
import {
  activeKey,
  immediateRotation,
  keyState,
  publishedKeys,
  scheduledRotation,
  type RotationPolicy,
  type RotationStep,
  type SigningKeyState,
} from './domain/signing-key-schedule.js';
import type { SigningKeyStore } from './ports.js';
import { generateSigningKey, openSigningKey, publicJwkOf, sealedKeyContext, type StoredSigningKey } from './signing-key-material.js';

/** Broadcast channel on which an instance that changed the keys tells the others to re-read them. */
export const SIGNING_KEYS_CHANNEL = 'signing-keys';

export type RotationTrigger = 'initial' | 'schedule' | 'manual';

export interface SigningKeyRingOptions {
  store: SigningKeyStore;
  keyring: Keyring;
  /** Algorithm of keys the schedule generates. */
  algorithm: SigningAlgorithm;
  policy: RotationPolicy;
  broadcast: Broadcast;
  logger: Logger;
  /** Called after this instance stored a new key (audit). */
  onRotated: (key: StoredSigningKey, trigger: RotationTrigger, actor?: ActorInit) => Promise<void>;
  now?: () => Date;
}

export interface Signer {
  kid: string;
  algorithm: SigningAlgorithm;
  privateKey: CryptoKey;
}

/**
 * This instance's view of the platform's signing keys. Postgres is the truth; the ring
 * re-reads it at start, when another instance announces a change on the broadcast channel,
 * and on every tick (the safety net for a missed announcement). Which key signs is computed
 * from the stored activation times at the moment of signing, so instances converge on a
 * scheduled successor at the same instant without any message.
 */
export class SigningKeyRing {
  readonly #opts: SigningKeyRingOptions;
  readonly #now: () => Date;
  #keys: StoredSigningKey[] = [];
  #jwks: { keys: JWK[]; kids: string; resolve: JWTVerifyGetKey } | undefined;
  readonly #privateKeys = new Map<string, Promise<CryptoKey>>();
  #unsubscribe: (() => Promise<void>) | undefined;

  constructor(opts: SigningKeyRingOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? (() => new Date());
  }

  /** Creates the first key if there is none (once across instances), loads, and listens for changes. */
  async start(): Promise<void> {
    await this.tick();
    this.#unsubscribe = await this.#opts.broadcast.subscribe(SIGNING_KEYS_CHANNEL, () => this.#reloadQuietly(), {
      onReconnect: () => this.#reloadQuietly(),
    });
  }

  async close(): Promise<void> {
    await this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  /** Runs the rotation schedule, deletes retired keys, re-reads the rest. */
  async tick(): Promise<void> {
    const now = this.#now();
    let created: { key: StoredSigningKey; first: boolean } | undefined;
    // Most ticks have nothing to do: decide on the cached keys first, lock only when a step is due.
    if (this.#keys.length === 0 || scheduledRotation(this.#keys, now, this.#opts.policy) !== undefined) {
      created = await this.#store((keys, at) => scheduledRotation(keys, at, this.#opts.policy), this.#opts.algorithm);
    }
    const deleted = await this.#opts.store.deleteRetired(now);
    await this.reload();
    if (created !== undefined || deleted.length > 0) await this.#announce();
    if (created !== undefined) {
      const { key } = created;
      const trigger: RotationTrigger = created.first ? 'initial' : 'schedule';
      this.#opts.logger.info({ kid: key.kid, algorithm: key.algorithm, activateTime: key.activateTime.toISOString(), trigger }, 'signing key created');
      await this.#opts.onRotated(key, trigger);
    }
  }

  /** RotateSigningKey: a new key signs from now on; the previous one stays published for the retention. */
  async rotateNow(algorithm: SigningAlgorithm, actor?: ActorInit): Promise<StoredSigningKey> {
    const created = (await this.#store((keys, at) => immediateRotation(keys, at, this.#opts.policy), algorithm))?.key;
    if (created === undefined) throw new Error('an immediate rotation always creates a key');
    await this.reload();
    await this.#announce();
    this.#opts.logger.info({ kid: created.kid, algorithm }, 'signing key rotated on request');
    await this.#opts.onRotated(created, 'manual', actor);
    return created;
  }

  async reload(): Promise<void> {
    const keys = await this.#opts.store.list();
    this.#keys = keys;
    const present = new Set(keys.map((k) => k.kid));
    for (const kid of this.#privateKeys.keys()) if (!present.has(kid)) this.#privateKeys.delete(kid);
    await this.#resealOld(keys);
  }

  /** The key to sign with at `now`, its private half opened from the sealed copy (once per key). */
  async signer(now: Date = this.#now()): Promise<Signer> {
    const key = activeKey(this.#keys, now);
    if (key === undefined) throw unavailable('no signing key is active yet');
    let privateKey = this.#privateKeys.get(key.kid);
    if (privateKey === undefined) {
      privateKey = openSigningKey(this.#opts.keyring, key);
      this.#privateKeys.set(key.kid, privateKey);
      // A failed open is not cached: the next call retries (e.g. after a keyring fix and restart elsewhere).
      privateKey.catch(() => this.#privateKeys.delete(key.kid));
    }
    try {
      return { kid: key.kid, algorithm: key.algorithm, privateKey: await privateKey };
    } catch (err) {
      this.#opts.logger.error({ err, kid: key.kid }, 'the active signing key cannot be opened: is AEGIS_AUTH_ENCRYPTION_KEYS the keyring it was sealed with?');
      throw unavailable('signing is unavailable', { cause: err });
    }
  }

  /** Keys in the JWKS at `now`, newest activation first, with their state. */
  published(now: Date = this.#now()): Array<{ key: StoredSigningKey; state: SigningKeyState }> {
    return publishedKeys(this.#keys, now).map((key) => ({ key, state: keyState(key, this.#keys, now) }));
  }

  /** The JWKS document's key list at `now`. */
  jwks(now: Date = this.#now()): { keys: JWK[] } {
    return { keys: this.#publishedSet(now).keys };
  }

  /** A key resolver over exactly the published keys, for verifying our own tokens in-process. */
  readonly verificationKeys: JWTVerifyGetKey = (header, token) => this.#publishedSet(this.#now()).resolve(header, token);

  #publishedSet(now: Date): { keys: JWK[]; kids: string; resolve: JWTVerifyGetKey } {
    const keys = publishedKeys(this.#keys, now);
    const kids = keys.map((k) => k.kid).join(',');
    // Rebuilt only when the set changes, so each key is imported once, not per call.
    if (this.#jwks?.kids !== kids) {
      const jwks = keys.map(publicJwkOf);
      this.#jwks = { keys: jwks, kids, resolve: localKeySet({ keys: jwks }) };
    }
    return this.#jwks;
  }

  /** Applies `plan` under the rotation lock; `first`: there was no key at all before. */
  async #store(plan: (keys: StoredSigningKey[], now: Date) => RotationStep | undefined, algorithm: SigningAlgorithm): Promise<{ key: StoredSigningKey; first: boolean } | undefined> {
    return this.#opts.store.underRotationLock(async (keys, writer) => {
      const now = this.#now();
      const step = plan(keys, now);
      if (step === undefined) return undefined;
      const key = await generateSigningKey(algorithm, this.#opts.keyring, { now, activateAt: step.activateAt });
      await writer.delete(step.discard);
      await writer.insert(key);
      await writer.retireUnretired(step.retireOthersAt, key.kid);
      return { key, first: keys.length === 0 };
    });
  }

  async #announce(): Promise<void> {
    try {
      await this.#opts.broadcast.publish(SIGNING_KEYS_CHANNEL, 'changed');
    } catch (err) {
      // The others still converge on their next tick.
      this.#opts.logger.warn({ err }, 'could not announce a signing-key change; other instances will pick it up on their next check');
    }
  }

  #reloadQuietly(): void {
    this.reload().catch((err: unknown) => this.#opts.logger.warn({ err }, 'could not re-read the signing keys'));
  }

  /** After the keyring's active key changed, private keys move to it (the old keyring key can then be dropped). */
  async #resealOld(keys: readonly StoredSigningKey[]): Promise<void> {
    const { keyring } = this.#opts;
    for (const key of keys) {
      if (!needsReseal(keyring, key.sealedPrivateKey)) continue;
      try {
        const context = sealedKeyContext(key.kid);
        const pkcs8 = openSealed(keyring, key.sealedPrivateKey, context);
        await this.#opts.store.reseal(key.kid, seal(keyring, pkcs8, context));
        pkcs8.fill(0);
      } catch (err) {
        this.#opts.logger.warn({ err, kid: key.kid }, 'could not re-seal a signing key under the active encryption key');
      }
    }
  }
}
