import type { Logger, SqlDatabase } from '@aegis/shared';
import { compileDlp, type CompiledDlp } from '@aegis/pii-engine';
import { DLP_CHANGED_CHANNEL, parseDlpChange } from './dlp-change.js';
import { loadDlpSnapshot } from './dlp-snapshot.js';
import type { DlpStore } from './ports.js';

interface Entry {
  revision: bigint;
  dlp: CompiledDlp;
}

export interface DlpCacheOptions {
  store: DlpStore;
  db: Pick<SqlDatabase, 'listen'>;
  logger: Logger;
  /** Backstop for a notification lost unnoticed: how often cached tenants' revisions are compared. Default 30 s. */
  recheckIntervalMs?: number;
}

/**
 * Each tenant's compiled DLP (patterns compiled once per change, not per request), loaded on
 * first use and replaced when a `pii_dlp_changed` notification names a newer revision: a
 * change made through any instance applies on every instance within a second.
 */
export class DlpCache {
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<Entry>>();
  #unlisten: (() => Promise<void>) | undefined;
  #timer: NodeJS.Timeout | undefined;

  private constructor(private readonly opts: DlpCacheOptions) {}

  static async start(opts: DlpCacheOptions): Promise<DlpCache> {
    const cache = new DlpCache(opts);
    cache.#unlisten = await opts.db.listen(DLP_CHANGED_CHANNEL, (payload) => cache.#notified(payload), {
      // Notifications sent while the connection was down are gone: forget everything.
      onReconnect: () => cache.#entries.clear(),
    });
    cache.#timer = setInterval(() => void cache.#recheck(), opts.recheckIntervalMs ?? 30_000);
    cache.#timer.unref();
    return cache;
  }

  async get(tenantId: string): Promise<CompiledDlp> {
    const entry = this.#entries.get(tenantId);
    if (entry !== undefined) return entry.dlp;
    return (await this.#load(tenantId)).dlp;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#unlisten?.();
  }

  #load(tenantId: string): Promise<Entry> {
    let loading = this.#loading.get(tenantId);
    if (loading === undefined) {
      loading = (async () => {
        const { revision, settings, rules } = await loadDlpSnapshot(this.opts.store, tenantId);
        const entry = { revision, dlp: compileDlp(settings, rules) };
        const current = this.#entries.get(tenantId);
        if (current === undefined || current.revision <= revision) this.#entries.set(tenantId, entry);
        return entry;
      })().finally(() => this.#loading.delete(tenantId));
      this.#loading.set(tenantId, loading);
    }
    return loading;
  }

  #notified(payload: string): void {
    const change = parseDlpChange(payload);
    if (change === undefined) {
      this.#entries.clear();
      return;
    }
    const entry = this.#entries.get(change.tenantId);
    if (entry === undefined || entry.revision >= change.revision) return;
    // A load already running may have read the revision before this change: load again after it.
    const running = this.#loading.get(change.tenantId) ?? Promise.resolve(undefined);
    running.catch(() => undefined).then(() => {
      if ((this.#entries.get(change.tenantId)?.revision ?? change.revision) >= change.revision) return undefined;
      return this.#load(change.tenantId);
    }).catch((err: unknown) => {
      // Serve nothing stale: drop the tenant so the next request loads it.
      this.#entries.delete(change.tenantId);
      this.opts.logger.warn({ err, tenantId: change.tenantId }, 'dlp reload failed');
    });
  }

  async #recheck(): Promise<void> {
    const tenants = [...this.#entries.keys()];
    if (tenants.length === 0) return;
    try {
      const revisions = await this.opts.store.revisions(tenants);
      for (const [tenantId, revision] of revisions) {
        if (revision > (this.#entries.get(tenantId)?.revision ?? 0n)) this.#entries.delete(tenantId);
      }
    } catch (err) {
      this.opts.logger.warn({ err }, 'dlp revision check failed');
    }
  }
}
