import type { Logger, SqlDatabase } from '@aegis/shared';
import { EVERY_TENANT } from './audit-store.js';

type Waiter = { tenantId: string; wake: () => void };

/**
 * "New records were stored for tenant T", to the tail streams of this instance. The writer
 * of this instance announces directly after its commit; records stored by other instances
 * arrive through Postgres LISTEN/NOTIFY on the store's channel (in-process on PGlite). Tails
 * re-read the table after a wake-up, so a notification carries no data and a duplicate or
 * spurious one costs one query. A lost one (the listening connection reconnected) is covered
 * by the tail's own polling and by waking everybody on reconnect.
 */
export class StoredFeed {
  readonly #waiters = new Set<Waiter>();
  #unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly db: SqlDatabase, private readonly channel: string, private readonly logger: Logger) {}

  async start(): Promise<void> {
    this.#unlisten = await this.db.listen(this.channel, (payload) => this.announce(payload === EVERY_TENANT ? undefined : payload.split(',')), {
      onReconnect: () => {
        this.logger.info('audit notifications reconnected; waking every tail to re-read');
        this.announce(undefined);
      },
    });
  }

  /** Wakes the tails of these tenants (all tails when undefined). */
  announce(tenants: readonly string[] | undefined): void {
    const set = tenants === undefined ? undefined : new Set(tenants);
    for (const waiter of [...this.#waiters]) {
      if (set === undefined || set.has(waiter.tenantId)) {
        this.#waiters.delete(waiter);
        waiter.wake();
      }
    }
  }

  /**
   * Resolves at the next announcement for `tenantId`, after `timeoutMs`, or when `signal`
   * aborts, whichever comes first. Register before reading the table, so that nothing stored
   * between the read and the wait goes unnoticed: use `arm()` then `await armed.wait`.
   */
  arm(tenantId: string, timeoutMs: number, signal: AbortSignal): { wait: Promise<void> } {
    let waiter!: Waiter;
    const wait = new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#waiters.delete(waiter);
        resolve();
      };
      waiter = { tenantId, wake: done };
      this.#waiters.add(waiter);
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      if (signal.aborted) done();
      else signal.addEventListener('abort', done, { once: true });
    });
    return { wait };
  }

  async stop(): Promise<void> {
    this.announce(undefined);
    await this.#unlisten?.();
    this.#unlisten = undefined;
  }
}
