import { unavailable, type Broadcast, type CredentialEvent, type CredentialEvents, type Logger } from '@aegis/shared';
import type { CredentialInvalidation } from '../../module-ports.js';
import type { ApiKeyRepository, KeyRef, SharedKeyCache } from '../ports.js';
import type { CachingKeySource } from './caching-key-source.js';
import type { VerificationMetrics } from './verification-metrics.js';

const CHANNEL = 'api-keys:invalidate';

// While this lasts after a change, no instance writes the key back into the shared cache,
// so a lookup that read the database just before the change cannot publish its stale
// record there. Far longer than a lookup takes; short enough not to matter for load.
export const STALE_HOLD_MS = 5_000;

interface InvalidationMessage {
  v: 1;
  digests: string[];
}

/**
 * Push invalidation, so a revoked, rotated, disabled or changed key is refused by every
 * instance within a second instead of when a cache entry expires:
 *   1. this instance forgets the key at once;
 *   2. the shared cache entry is replaced by a short `stale` marker;
 *   3. every auth instance is told on `broadcast` (they drop the digest);
 *   4. every service's authentication interceptor is told on `credentialEvents`.
 * A subscription that reconnects may have missed messages, so the whole local cache goes.
 */
export class KeyInvalidation implements CredentialInvalidation {
  readonly #unsubscribe: Array<() => Promise<void>> = [];

  constructor(
    private readonly deps: {
      cache: CachingKeySource;
      shared: SharedKeyCache;
      broadcast: Broadcast;
      credentialEvents: CredentialEvents;
      repository: Pick<ApiKeyRepository, 'keysOfUser'>;
      metrics: VerificationMetrics;
      logger: Logger;
    },
  ) {}

  async start(): Promise<void> {
    const { cache, metrics } = this.deps;
    const reconnected = () => {
      metrics.invalidation('reconnect');
      cache.clear();
    };
    this.#unsubscribe.push(await this.deps.broadcast.subscribe(CHANNEL, (message) => this.#onBroadcast(message), { onReconnect: reconnected }));
    this.#unsubscribe.push(await this.deps.credentialEvents.subscribe((event) => this.#onCredentialEvent(event), { onReconnect: reconnected }));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#unsubscribe.splice(0).map((unsubscribe) => unsubscribe()));
  }

  /**
   * Tells everyone that these keys changed. Resolves once every message is out; rejects with
   * Unavailable when one could not be sent (the change itself is saved; retrying the request,
   * which is idempotent, sends them again).
   */
  async keysChanged(keys: readonly KeyRef[]): Promise<void> {
    if (keys.length === 0) return;
    const digests = keys.map((k) => Buffer.from(k.digest).toString('hex'));
    this.deps.metrics.invalidation('local');
    this.deps.cache.drop(digests);
    const results = await Promise.allSettled([
      // The marker before the broadcast: an instance acting on the broadcast must not find the old entry.
      Promise.all(digests.map((hex) => this.deps.shared.invalidate(hex, STALE_HOLD_MS))).then(() => {
        const message: InvalidationMessage = { v: 1, digests };
        return this.deps.broadcast.publish(CHANNEL, JSON.stringify(message));
      }),
      ...keys.map((k) => this.deps.credentialEvents.publish({ kind: 'api_key', tenantId: k.tenantId, keyId: k.keyId })),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      this.deps.logger.error({ err: failed.reason, keyIds: keys.map((k) => k.keyId) }, 'api keys: could not tell every instance about a key change');
      throw unavailable('the change is saved but could not be pushed to every instance yet; retry the request', { cause: failed.reason, retryAfterMs: 1_000 });
    }
  }

  /** The users module calls this when it disables a user: their keys stop verifying everywhere. */
  async invalidateUser(tenantId: string, userId: string): Promise<void> {
    this.deps.cache.dropWhere((key) => key.tenantId === tenantId && key.userId === userId);
    await this.keysChanged(await this.deps.repository.keysOfUser(tenantId, userId));
  }

  #onBroadcast(raw: string): void {
    let message: Partial<InvalidationMessage>;
    try {
      message = JSON.parse(raw) as Partial<InvalidationMessage>;
    } catch {
      message = {};
    }
    if (message.v !== 1 || !Array.isArray(message.digests)) {
      // Unreadable news about some key: forgetting everything is the safe reading of it.
      this.deps.logger.warn('api keys: unreadable invalidation message; dropping the whole cache');
      this.deps.cache.clear();
      return;
    }
    this.deps.metrics.invalidation('broadcast');
    this.deps.cache.drop(message.digests.filter((d): d is string => typeof d === 'string'));
  }

  #onCredentialEvent(event: CredentialEvent): void {
    if (event.kind === 'api_key') {
      this.deps.metrics.invalidation('credential_event');
      this.deps.cache.dropWhere((key) => key.tenantId === event.tenantId && key.id === event.keyId);
    } else if (event.kind === 'user') {
      // Disabled, or lost roles (which narrows what their keys may act as). Whoever published
      // it may not have called invalidateUser, so the shared entries are marked stale here too.
      this.deps.metrics.invalidation('credential_event');
      this.deps.cache.dropWhere((key) => key.tenantId === event.tenantId && key.userId === event.userId);
      void this.#forgetSharedEntriesOf(event.tenantId, event.userId);
    }
  }

  async #forgetSharedEntriesOf(tenantId: string, userId: string): Promise<void> {
    try {
      const digests = (await this.deps.repository.keysOfUser(tenantId, userId)).map((k) => Buffer.from(k.digest).toString('hex'));
      await Promise.all(digests.map((hex) => this.deps.shared.invalidate(hex, STALE_HOLD_MS)));
      // Again: a lookup may have copied a shared entry into this process before it was marked.
      this.deps.cache.drop(digests);
    } catch (err) {
      this.deps.logger.error({ err }, "api keys: could not mark a disabled user's keys stale in the shared cache");
    }
  }
}
