import type { Logger, SqlDatabase } from '@aegis/shared';
import { parsePolicyChange, POLICY_CHANGED_CHANNEL } from './change-notification.js';
import type { PolicySnapshot, PolicyStore } from './ports.js';

export type SnapshotListener = (snapshot: PolicySnapshot, previous: PolicySnapshot) => void;

export interface SnapshotCacheOptions {
  store: Pick<PolicyStore, 'loadSnapshot' | 'loadAllSnapshots' | 'policyVersions'>;
  /** Where `policy_changed` notifications arrive (the same database the store writes to). */
  db: Pick<SqlDatabase, 'listen'>;
  logger: Logger;
  /**
   * Backstop: how often every tenant's version is compared with the cache, catching a
   * notification lost in a way the listener could not see. Default 30 s.
   */
  recheckIntervalMs?: number;
}

const DEFAULT_RECHECK_MS = 30_000;

/**
 * The latest snapshot of every tenant, kept current by `policy_changed` notifications.
 *
 * Reads never wait: `current()` returns whatever snapshot is installed, and a reload
 * replaces it with one assignment only after the new snapshot has been read completely,
 * so a decision in flight keeps the object it started with. Snapshots only move forward:
 * a reload that finishes late with an older version than the installed one is dropped.
 */
export class SnapshotCache {
  private readonly snapshots = new Map<string, PolicySnapshot>();
  private readonly listeners = new Set<SnapshotListener>();
  private readonly inFlight = new Map<string, Promise<void>>();
  // Tenants notified again while their reload ran: one more load covers them all.
  private readonly reloadAgain = new Set<string>();
  private rechecking: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private closed = false;

  private constructor(private readonly opts: SnapshotCacheOptions) {}

  /**
   * Subscribes, then loads every tenant. Subscribing first leaves no window in which a
   * change could commit after the load yet before the subscription and go unnoticed.
   */
  static async start(opts: SnapshotCacheOptions): Promise<SnapshotCache> {
    const cache = new SnapshotCache(opts);
    cache.unlisten = await opts.db.listen(POLICY_CHANGED_CHANNEL, (payload) => cache.notified(payload), {
      // Notifications sent while the connection was down are gone for good.
      onReconnect: () => void cache.recheck(),
    });
    try {
      for (const snapshot of await opts.store.loadAllSnapshots()) cache.install(snapshot);
    } catch (err) {
      await cache.close();
      throw err;
    }
    cache.timer = setInterval(() => void cache.recheck(), opts.recheckIntervalMs ?? DEFAULT_RECHECK_MS);
    cache.timer.unref();
    return cache;
  }

  /** The tenant's installed snapshot; an empty one at version 0 for a tenant that never changed anything. */
  current(tenantId: string): PolicySnapshot {
    return this.snapshots.get(tenantId) ?? emptySnapshot(tenantId);
  }

  /** Called after each newer snapshot is installed (e.g. to recompile it). Returns the unsubscribe. */
  onChange(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reloads one tenant now; concurrent calls for the same tenant share loads. */
  refresh(tenantId: string): Promise<void> {
    const running = this.inFlight.get(tenantId);
    if (running) {
      this.reloadAgain.add(tenantId);
      return running;
    }
    const reload = (async () => {
      try {
        do {
          this.reloadAgain.delete(tenantId);
          this.install(await this.opts.store.loadSnapshot(tenantId));
        } while (this.reloadAgain.has(tenantId) && !this.closed);
      } finally {
        this.reloadAgain.delete(tenantId);
        this.inFlight.delete(tenantId);
      }
    })();
    this.inFlight.set(tenantId, reload);
    return reload;
  }

  /**
   * Compares every tenant's stored version with the cache and reloads the stale ones.
   * Versions only grow and are bumped in the same transaction as the change, so equal
   * versions prove a snapshot current: this is as good as reloading everything, and cheap.
   */
  recheck(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.rechecking ??= (async () => {
      try {
        const versions = await this.opts.store.policyVersions();
        const stale = [...versions].filter(([tenantId, version]) => version > this.current(tenantId).policyVersion);
        const results = await Promise.allSettled(stale.map(([tenantId]) => this.refresh(tenantId)));
        for (const result of results) {
          if (result.status === 'rejected') this.opts.logger.warn({ err: result.reason }, 'policy snapshot reload failed; serving the previous one');
        }
      } catch (err) {
        this.opts.logger.warn({ err }, 'policy version check failed; serving the current snapshots');
      } finally {
        this.rechecking = undefined;
      }
    })();
    return this.rechecking;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.unlisten?.();
    await Promise.allSettled([...this.inFlight.values(), this.rechecking]);
  }

  private notified(payload: string): void {
    if (this.closed) return;
    const change = parsePolicyChange(payload);
    if (!change) {
      this.opts.logger.warn({ channel: POLICY_CHANGED_CHANNEL }, 'unrecognised policy change notification; checking every tenant');
      void this.recheck();
      return;
    }
    if (change.policyVersion <= this.current(change.tenantId).policyVersion) return;
    this.refresh(change.tenantId).catch((err: unknown) => {
      // The periodic check retries; until then decisions use the previous snapshot.
      this.opts.logger.warn({ err, tenantId: change.tenantId }, 'policy snapshot reload failed; serving the previous one');
    });
  }

  private install(snapshot: PolicySnapshot): void {
    const previous = this.current(snapshot.tenantId);
    if (this.snapshots.has(snapshot.tenantId) && snapshot.policyVersion <= previous.policyVersion) return;
    this.snapshots.set(snapshot.tenantId, snapshot);
    for (const listener of this.listeners) {
      try {
        listener(snapshot, previous);
      } catch (err) {
        // One failing subscriber must not stop the others, nor undo the install.
        this.opts.logger.warn({ err, tenantId: snapshot.tenantId }, 'policy snapshot listener failed');
      }
    }
  }
}

function emptySnapshot(tenantId: string): PolicySnapshot {
  return Object.freeze({ tenantId, policyVersion: 0n, roles: Object.freeze([]), policies: Object.freeze([]) });
}
