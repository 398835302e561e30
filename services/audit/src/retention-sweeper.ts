import type { Logger } from '@aegis/shared';

export interface RetentionSweeperOptions {
  /** Deletes up to `batch` records expired at `now`; returns how many it deleted. */
  deleteExpired(now: Date, batch: number): Promise<number>;
  batch: number;
  intervalMs: number;
  now: () => number;
  logger: Logger;
}

/**
 * Deletes records past their retention (expires_at, fixed when they were stored). Each run
 * deletes in bounded batches until a batch comes back short, so a backlog (the first run
 * after a long pause) drains without one long transaction. One run at a time; a failure is
 * logged and the next tick tries again.
 */
export class RetentionSweeper {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  #stopped = false;

  constructor(private readonly opts: RetentionSweeperOptions) {}

  start(): void {
    this.#timer = setInterval(() => void this.sweep().catch(() => undefined), this.opts.intervalMs);
    this.#timer.unref();
  }

  /** One run now (or joins the run in progress); resolves with the number of records deleted. */
  sweep(): Promise<number> {
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #run(): Promise<number> {
    const now = new Date(this.opts.now());
    let deleted = 0;
    try {
      for (;;) {
        const n = await this.opts.deleteExpired(now, this.opts.batch);
        deleted += n;
        if (n < this.opts.batch || this.#stopped) break;
      }
    } catch (err) {
      this.opts.logger.warn({ err, deleted }, 'audit retention sweep failed; retrying next tick');
      throw err;
    }
    if (deleted > 0) this.opts.logger.info({ deleted, now: now.toISOString() }, 'audit records past retention deleted');
    return deleted;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running?.catch(() => undefined);
  }
}
