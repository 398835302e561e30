import type { SqlDatabase } from '@aegis/shared';
import { DLP_CHANGED_CHANNEL, parseDlpChange, type DlpChange } from './dlp-change.js';

/** One WatchDlpChanges stream's view of the feed. */
export interface DlpChangeSubscription {
  /**
   * The changes since the last call (newest revision per tenant, so a slow watcher holds at
   * most one entry per tenant); `[]` when `waitMs` passed without any; undefined once the
   * subscription ended (closed, the feed stopped or lost notifications, or `signal` aborted).
   */
  next(waitMs: number, signal: AbortSignal): Promise<DlpChange[] | undefined>;
  close(): void;
}

/**
 * Fans out `pii_dlp_changed` notifications (sent from inside each change's transaction, so a
 * snapshot read after one includes that change) to WatchDlpChanges streams. When
 * notifications may have been lost (the listening connection came back, or a payload this
 * service did not send arrived), every stream ends: its watcher then drops what it holds and
 * subscribes again, as it must since changes are not replayed.
 */
export class DlpChangeFeed {
  readonly #subscribers = new Set<Subscriber>();
  #unlisten: (() => Promise<void>) | undefined;
  #stopped = false;

  private constructor() {}

  static async start(db: Pick<SqlDatabase, 'listen'>): Promise<DlpChangeFeed> {
    const feed = new DlpChangeFeed();
    feed.#unlisten = await db.listen(DLP_CHANGED_CHANNEL, (payload) => feed.#notified(payload), {
      onReconnect: () => feed.#endAll(),
    });
    return feed;
  }

  /** False once stopped: new watchers belong on another instance. */
  get open(): boolean {
    return !this.#stopped;
  }

  get watchers(): number {
    return this.#subscribers.size;
  }

  /** Changes of `tenantId` only, or of every tenant when undefined. */
  subscribe(tenantId: string | undefined): DlpChangeSubscription {
    const subscriber = new Subscriber(tenantId, (s) => this.#subscribers.delete(s));
    if (this.#stopped) subscriber.close();
    else this.#subscribers.add(subscriber);
    return subscriber;
  }

  /** Ends every stream (the server drains) and refuses new ones. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#endAll();
    await this.#unlisten?.();
  }

  #notified(payload: string): void {
    const change = parseDlpChange(payload);
    if (change === undefined) {
      this.#endAll();
      return;
    }
    for (const subscriber of this.#subscribers) subscriber.offer(change);
  }

  #endAll(): void {
    for (const subscriber of [...this.#subscribers]) subscriber.close();
  }
}

class Subscriber implements DlpChangeSubscription {
  readonly #pending = new Map<string, bigint>();
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(
    private readonly tenantId: string | undefined,
    private readonly onClose: (s: Subscriber) => void,
  ) {}

  offer(change: DlpChange): void {
    if (this.#closed || (this.tenantId !== undefined && change.tenantId !== this.tenantId)) return;
    if (change.revision <= (this.#pending.get(change.tenantId) ?? -1n)) return;
    this.#pending.set(change.tenantId, change.revision);
    this.#wake?.();
  }

  async next(waitMs: number, signal: AbortSignal): Promise<DlpChange[] | undefined> {
    if (this.#pending.size === 0 && !this.#closed && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.#wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, waitMs);
        timer.unref();
        signal.addEventListener('abort', done, { once: true });
        this.#wake = done;
      });
    }
    // An abandoned stream never reaches its generator's finally: end here too.
    if (signal.aborted) this.close();
    if (this.#closed) return undefined;
    const changes = [...this.#pending].map(([tenantId, revision]) => ({ tenantId, revision }));
    this.#pending.clear();
    return changes;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending.clear();
    this.onClose(this);
    this.#wake?.();
  }
}
