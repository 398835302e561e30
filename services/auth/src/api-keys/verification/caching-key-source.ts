import { unavailable, type Logger } from '@aegis/shared';
import type { KeyRecordSource } from '../domain/api-key-verifier.js';
import { KeyRecordCache } from '../domain/key-record-cache.js';
import type { ApiKeyStore, SharedKeyCache, StoredApiKey } from '../ports.js';
import type { VerificationMetrics } from './verification-metrics.js';

export interface CachingOptions {
  ttlMs: number;
  maxEntries: number;
  negativeTtlMs: number;
  negativeMaxEntries: number;
  now?: () => number;
}

const SHARED_WARNING_INTERVAL_MS = 10_000;
// A shared-cache read slower than this (Redis reconnecting) is abandoned for the database:
// Redis only saves database reads, it must not hold a verification for its command timeout.
const SHARED_READ_BUDGET_MS = 250;
// A lookup that keeps overlapping changes to its own key gives up caching after this many reads.
const MAX_READS_PER_LOOKUP = 3;

/** News of a change, as far as lookups still reading need it. */
interface Invalidation {
  epoch: number;
  /** Whether a record read for `hex` (undefined: unknown) may be the one this change outdated. */
  concerns(hex: string, key: StoredApiKey | undefined): boolean;
}

/**
 * Key records by digest: this process's LRU, then the shared cache (Redis), then the store.
 * Unknown digests are remembered in both caches too, in a separate LRU so a flood of bad keys
 * cannot push real keys out. Concurrent misses on one digest share one lookup.
 *
 * A lookup that was reading while news of a change to *its* key arrived reads again, so
 * neither its callers nor the cache get the pre-change record; news about other keys does not
 * disturb it. (The shared cache is protected the same way by the invalidator's `stale`
 * marker, see KvSharedKeyCache.)
 */
export class CachingKeySource implements KeyRecordSource {
  readonly #found: KeyRecordCache<StoredApiKey>;
  readonly #unknown: KeyRecordCache<true>;
  readonly #inFlight = new Map<string, Promise<StoredApiKey | undefined>>();
  readonly #now: () => number;
  #epoch = 0;
  /** Changes that lookups still reading may have missed; pruned as lookups finish. */
  #invalidations: Invalidation[] = [];
  /** Start epochs of the lookups reading now (epoch → how many). */
  readonly #reading = new Map<number, number>();
  #lastSharedWarning = 0;

  constructor(
    private readonly store: Pick<ApiKeyStore, 'findByDigest'>,
    private readonly shared: SharedKeyCache,
    private readonly opts: CachingOptions,
    private readonly metrics: VerificationMetrics,
    private readonly logger: Logger,
  ) {
    this.#found = new KeyRecordCache(opts.maxEntries);
    this.#unknown = new KeyRecordCache(opts.negativeMaxEntries);
    this.#now = opts.now ?? Date.now;
  }

  findByDigest(digest: Uint8Array): Promise<StoredApiKey | undefined> {
    const hex = Buffer.from(digest).toString('hex');
    const now = this.#now();
    const cached = this.#found.get(hex, now);
    if (cached !== undefined) {
      this.metrics.lookup('local');
      return Promise.resolve(cached);
    }
    if (this.#unknown.get(hex, now) !== undefined) {
      this.metrics.lookup('local_negative');
      return Promise.resolve(undefined);
    }
    let pending = this.#inFlight.get(hex);
    if (pending === undefined) {
      const lookup = this.#lookup(hex, digest).finally(() => {
        if (this.#inFlight.get(hex) === lookup) this.#inFlight.delete(hex);
      });
      this.#inFlight.set(hex, lookup);
      pending = lookup;
    }
    return pending;
  }

  /** Forgets these digests now; lookups of them that are reading will read again. */
  drop(digestHexes: readonly string[]): void {
    const dropped = new Set(digestHexes);
    this.#record((hex) => dropped.has(hex));
    for (const hex of dropped) {
      this.#found.delete(hex);
      this.#unknown.delete(hex);
      this.#inFlight.delete(hex);
    }
  }

  /** Forgets every cached key matching (a key by id, a user's keys: where the digest is not known). */
  dropWhere(matches: (key: StoredApiKey) => boolean): number {
    this.#record((_hex, key) => key !== undefined && matches(key));
    return this.#found.deleteWhere(matches);
  }

  /** Forgets everything (news may have been missed while a subscription was down). */
  clear(): void {
    this.#record(() => true);
    this.#inFlight.clear();
    this.#found.clear();
    this.#unknown.clear();
  }

  #record(concerns: Invalidation['concerns']): void {
    this.#epoch++;
    // Only lookups reading now can have missed it; with none, there is nothing to keep.
    if (this.#reading.size > 0) this.#invalidations.push({ epoch: this.#epoch, concerns });
  }

  async #lookup(hex: string, digest: Uint8Array): Promise<StoredApiKey | undefined> {
    let result: { key: StoredApiKey | undefined; from: 'shared' | 'store'; sharedStale: boolean } | undefined;
    for (let read = 1; read <= MAX_READS_PER_LOOKUP; read++) {
      const epoch = this.#epoch;
      this.#reading.set(epoch, (this.#reading.get(epoch) ?? 0) + 1);
      try {
        result = await this.#read(hex, digest);
        if (!this.#changedSince(epoch, hex, result.key)) {
          this.#remember(hex, result);
          return result.key;
        }
      } finally {
        this.#doneReading(epoch);
      }
    }
    // Changed under every read: answer with the latest read, cache nothing.
    return result?.key;
  }

  async #read(hex: string, digest: Uint8Array): Promise<{ key: StoredApiKey | undefined; from: 'shared' | 'store'; sharedStale: boolean }> {
    const shared = await withinBudget(this.shared.get(hex), SHARED_READ_BUDGET_MS).catch((err: unknown) => {
      // Redis down: verification carries on from the database, the caches' job is speed.
      this.#warnShared(err);
      return undefined;
    });
    if (shared?.kind === 'found') {
      this.metrics.lookup('shared');
      return { key: shared.key, from: 'shared', sharedStale: false };
    }
    if (shared?.kind === 'unknown') {
      this.metrics.lookup('shared_negative');
      return { key: undefined, from: 'shared', sharedStale: false };
    }
    this.metrics.lookup('database');
    const key = await this.store.findByDigest(digest).catch((err: unknown) => {
      throw unavailable('api keys cannot be verified right now', { cause: err, retryAfterMs: 1_000 });
    });
    return { key, from: 'store', sharedStale: shared?.kind === 'stale' };
  }

  #remember(hex: string, result: { key: StoredApiKey | undefined; from: 'shared' | 'store'; sharedStale: boolean }): void {
    const { key } = result;
    if (key === undefined) this.#unknown.set(hex, true, this.opts.negativeTtlMs, this.#now());
    else this.#found.set(hex, key, this.opts.ttlMs, this.#now());
    if (result.from === 'store' && !result.sharedStale) {
      const entry = key === undefined ? { kind: 'unknown' as const } : { kind: 'found' as const, key };
      // Not awaited: the caller has its answer; sharing it is for the next instance.
      this.shared.populate(hex, entry, key === undefined ? this.opts.negativeTtlMs : this.opts.ttlMs).catch((err: unknown) => this.#warnShared(err));
    }
  }

  #changedSince(epoch: number, hex: string, key: StoredApiKey | undefined): boolean {
    if (this.#epoch === epoch) return false;
    return this.#invalidations.some((change) => change.epoch > epoch && change.concerns(hex, key));
  }

  #doneReading(epoch: number): void {
    const left = (this.#reading.get(epoch) ?? 1) - 1;
    if (left > 0) this.#reading.set(epoch, left);
    else this.#reading.delete(epoch);
    const oldest = Math.min(...this.#reading.keys());
    // Keep only what a lookup still reading could have missed (none reading: Infinity, keep nothing).
    this.#invalidations = this.#invalidations.filter((change) => change.epoch > oldest);
  }

  #warnShared(err: unknown): void {
    const now = this.#now();
    if (now - this.#lastSharedWarning < SHARED_WARNING_INTERVAL_MS) return;
    this.#lastSharedWarning = now;
    this.logger.warn({ err }, 'api keys: the shared verdict cache is unreachable; verifying from the database');
  }
}

function withinBudget<T>(read: Promise<T>, budgetMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${budgetMs} ms`)), budgetMs);
  });
  return Promise.race([read, late]).finally(() => clearTimeout(timer));
}
