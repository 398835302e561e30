import type { Logger, SqlDatabase } from '@aegis/shared';
import type { LimitSpec, OverrideSpec } from '../domain/index.js';
import { CONFIG_CHANGED_CHANNEL, parseConfigChange, type ConfigChange } from '../adapters/postgres/change-notification.js';
import type { LimitConfigStore } from '../adapters/postgres/limit-config-store.js';
import { limitSetSpec, overrideSpec } from './config-specs.js';

export interface LimitConfigCacheOptions {
  store: Pick<LimitConfigStore, 'getLimitSet' | 'getOverride' | 'loadAll'>;
  db: Pick<SqlDatabase, 'listen'>;
  logger: Logger;
  /** Backstop full reload, catching a notification lost unseen. Default 30 s. */
  reloadIntervalMs?: number;
}

const DEFAULT_RELOAD_MS = 30_000;

const rowId = (tenantId: string, id: string): string => JSON.stringify([tenantId, id]);

/**
 * Every limit set and override in memory, so a check never waits on Postgres. Kept current by
 * `ratelimit_config_changed` notifications (a change is visible on every instance within
 * one notification round trip, well under a second), plus a full reload after a lost
 * listener connection and every 30 s. All reloads run one after another, each reading the
 * row as it is now, so the last one to run installs the latest state.
 */
export class LimitConfigCache {
  readonly #sets = new Map<string, readonly LimitSpec[]>();
  readonly #overrides = new Map<string, OverrideSpec>();
  #queue: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #closed = false;

  private constructor(private readonly opts: LimitConfigCacheOptions) {}

  /** Subscribes first, then loads: no change can fall between the two unseen. */
  static async start(opts: LimitConfigCacheOptions): Promise<LimitConfigCache> {
    const cache = new LimitConfigCache(opts);
    cache.#unlisten = await opts.db.listen(CONFIG_CHANGED_CHANNEL, (payload) => cache.notified(payload), {
      onReconnect: () => void cache.reloadAll(),
    });
    try {
      await cache.reloadAll();
    } catch (err) {
      await cache.close();
      throw err;
    }
    cache.#timer = setInterval(() => void cache.reloadAll().catch(() => undefined), opts.reloadIntervalMs ?? DEFAULT_RELOAD_MS);
    cache.#timer.unref();
    return cache;
  }

  limitSet(tenantId: string, name: string): readonly LimitSpec[] | undefined {
    return this.#sets.get(rowId(tenantId, name));
  }

  /** The tenant-wide override and the key's, whether live or expired (resolution checks expiry). */
  overrides(tenantId: string, key: string): { tenant?: OverrideSpec; key?: OverrideSpec } {
    const tenant = this.#overrides.get(rowId(tenantId, ''));
    const own = key === '' ? undefined : this.#overrides.get(rowId(tenantId, key));
    return { ...(tenant !== undefined ? { tenant } : {}), ...(own !== undefined ? { key: own } : {}) };
  }

  /** Resolves once every reload queued so far has run. */
  settled(): Promise<void> {
    return this.#queue;
  }

  reloadAll(): Promise<void> {
    return this.enqueue(async () => {
      const { sets, overrides } = await this.opts.store.loadAll();
      const nextSets = new Map<string, readonly LimitSpec[]>();
      const nextOverrides = new Map<string, OverrideSpec>();
      for (const set of sets) this.tryInstall(() => nextSets.set(rowId(set.tenantId, set.name), limitSetSpec(set)));
      for (const o of overrides) this.tryInstall(() => nextOverrides.set(rowId(o.tenantId, o.key), overrideSpec(o)));
      this.replace(this.#sets, nextSets);
      this.replace(this.#overrides, nextOverrides);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#unlisten?.();
    await this.#queue.catch(() => undefined);
  }

  private notified(payload: string): void {
    if (this.#closed) return;
    const change = parseConfigChange(payload);
    if (change === undefined) {
      this.opts.logger.warn({ channel: CONFIG_CHANGED_CHANNEL }, 'unrecognised limit config notification; reloading everything');
      void this.reloadAll().catch(() => undefined);
      return;
    }
    void this.reloadRow(change).catch(() => undefined);
  }

  private reloadRow(change: ConfigChange): Promise<void> {
    return this.enqueue(async () => {
      if (change.kind === 'limit_set') {
        const set = await this.opts.store.getLimitSet(change.tenantId, change.name);
        const id = rowId(change.tenantId, change.name);
        if (set === undefined) this.#sets.delete(id);
        else this.tryInstall(() => this.#sets.set(id, limitSetSpec(set)));
      } else {
        const override = await this.opts.store.getOverride(change.tenantId, change.key);
        const id = rowId(change.tenantId, change.key);
        if (override === undefined) this.#overrides.delete(id);
        else this.tryInstall(() => this.#overrides.set(id, overrideSpec(override)));
      }
    });
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(() => (this.#closed ? undefined : work()));
    this.#queue = run.catch((err: unknown) => {
      // The next notification or the periodic reload retries; until then the previous config stands.
      this.opts.logger.warn({ err }, 'limit config reload failed; serving the previous configuration');
    });
    return run;
  }

  private tryInstall(install: () => void): void {
    try {
      install();
    } catch (err) {
      this.opts.logger.error({ err }, 'stored limit configuration is invalid; ignoring that row');
    }
  }

  private replace<V>(target: Map<string, V>, next: Map<string, V>): void {
    target.clear();
    for (const [k, v] of next) target.set(k, v);
  }
}
