import type { CompiledDlp } from '@aegis/pii-engine';
import { evictOldest } from '../cache/evict-oldest.js';

/** A tenant's DLP as pii served it, compiled; or why there is none to use. */
export type LoadedDlp =
  | { ok: true; revision: bigint; dlp: CompiledDlp }
  /** Not usable here (another engine version, a config this engine cannot compile): ask pii. */
  | { ok: false; unusable: true }
  | { ok: false; unusable: false; error: unknown };

export interface DlpSnapshotLimits {
  /** Tenants kept; the least recently used go first (default 1000). */
  maxTenants?: number;
  /** A snapshot this old is read again in the background, still used meanwhile (default 30 s): the backstop for a notice lost unnoticed. */
  refreshMs?: number;
  /** Pause before reading again after a failed read (default 5 s). */
  retryMs?: number;
  /** Pause before reading again after an unusable snapshot (default 60 s). */
  unusableRetryMs?: number;
  now?: () => number;
}

interface Ready {
  state: 'ready';
  revision: bigint;
  dlp: CompiledDlp;
  loadedAt: number;
  refreshing: boolean;
}

type Entry = Ready | { state: 'loading' } | { state: 'absent'; retryAt: number };

/**
 * Each tenant's compiled DLP, trusted only while a change stream vouches for it (the
 * decision cache's rules): nothing is answered or loaded unless `open`; opening and closing
 * start a new generation, and a snapshot asked for in an earlier generation is never kept.
 * Per tenant the newest revision heard from the stream is remembered: a snapshot read at an
 * older one is dropped (and read again on next use), and `changed` drops older snapshots.
 */
export class DlpSnapshots {
  readonly #entries = new Map<string, Entry>();
  readonly #heard = new Map<string, bigint>();
  readonly #load: (tenantId: string) => Promise<LoadedDlp>;
  readonly #maxTenants: number;
  readonly #refreshMs: number;
  readonly #retryMs: number;
  readonly #unusableRetryMs: number;
  readonly #now: () => number;
  #generation = 0;
  #open = false;
  #scope: string | undefined;

  constructor(load: (tenantId: string) => Promise<LoadedDlp>, limits: DlpSnapshotLimits = {}) {
    this.#load = load;
    this.#maxTenants = Math.max(1, limits.maxTenants ?? 1000);
    this.#refreshMs = Math.max(0, limits.refreshMs ?? 30_000);
    this.#retryMs = Math.max(0, limits.retryMs ?? 5_000);
    this.#unusableRetryMs = Math.max(0, limits.unusableRetryMs ?? 60_000);
    this.#now = limits.now ?? Date.now;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Tenants with a usable snapshot. */
  get size(): number {
    let n = 0;
    for (const entry of this.#entries.values()) if (entry.state === 'ready') n += 1;
    return n;
  }

  /** The stream is live for `scope` (a tenant id, or undefined for all): start trusting it. */
  open(scope: string | undefined): void {
    this.#clear();
    this.#open = true;
    this.#scope = scope;
  }

  /** The stream is no longer live: forget everything and answer nothing until `open`. */
  close(): void {
    this.#clear();
    this.#open = false;
  }

  /** The tenant's DLP is now at `revision`: drop an older snapshot. */
  changed(tenantId: string, revision: bigint): void {
    if (revision > (this.#heard.get(tenantId) ?? 0n)) {
      this.#heard.delete(tenantId);
      this.#heard.set(tenantId, revision);
      evictOldest(this.#heard, this.#maxTenants);
    }
    const entry = this.#entries.get(tenantId);
    if (entry?.state === 'ready' && entry.revision < revision) this.#entries.delete(tenantId);
  }

  /**
   * The tenant's compiled DLP if one is held and current; otherwise undefined, after starting
   * to read it in the background (the caller asks pii meanwhile).
   */
  get(tenantId: string): CompiledDlp | undefined {
    if (!this.#open || (this.#scope !== undefined && this.#scope !== tenantId)) return undefined;
    const entry = this.#entries.get(tenantId);
    if (entry === undefined || (entry.state === 'absent' && entry.retryAt <= this.#now())) {
      this.#fetch(tenantId, false);
      return undefined;
    }
    if (entry.state !== 'ready') return undefined;
    this.#entries.delete(tenantId);
    this.#entries.set(tenantId, entry); // most recently used last
    if (!entry.refreshing && this.#now() - entry.loadedAt >= this.#refreshMs) {
      entry.refreshing = true;
      this.#fetch(tenantId, true);
    }
    return entry.dlp;
  }

  #fetch(tenantId: string, refresh: boolean): void {
    const generation = this.#generation;
    if (!refresh) {
      this.#entries.set(tenantId, { state: 'loading' });
      evictOldest(this.#entries, this.#maxTenants);
    }
    const settle = (loaded: LoadedDlp) => {
      if (generation !== this.#generation) return;
      const current = this.#entries.get(tenantId);
      // Replaced meanwhile (a change dropped the entry, or eviction): only an entry this read began counts.
      if (refresh ? current?.state !== 'ready' : current?.state !== 'loading') return;
      if (!loaded.ok) {
        if (refresh && !loaded.unusable) {
          // Keep using what is held (no change was heard), and try again after the pause.
          const ready = current as Ready;
          ready.refreshing = false;
          ready.loadedAt = this.#now() - this.#refreshMs + this.#retryMs;
          return;
        }
        this.#entries.set(tenantId, { state: 'absent', retryAt: this.#now() + (loaded.unusable ? this.#unusableRetryMs : this.#retryMs) });
        return;
      }
      if (loaded.revision < (this.#heard.get(tenantId) ?? 0n)) {
        // Read before a change the stream already reported: read again on next use.
        this.#entries.delete(tenantId);
        return;
      }
      this.#entries.set(tenantId, { state: 'ready', revision: loaded.revision, dlp: loaded.dlp, loadedAt: this.#now(), refreshing: false });
    };
    this.#load(tenantId).then(settle, (error: unknown) => settle({ ok: false, unusable: false, error }));
  }

  #clear(): void {
    this.#generation += 1;
    this.#entries.clear();
  }
}
