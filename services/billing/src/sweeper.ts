import type { Logger } from '@aegis/shared';

/**
 * Periodic housekeeping (expired reservations, alerts of ended periods). One run at a time;
 * a failing task is logged and tried again on the next tick. Every task is safe to run on
 * several instances at once (row locks with SKIP LOCKED).
 */
export class Sweeper {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(private readonly opts: { intervalMs: number; logger: Logger; now: () => number; tasks: ((at: Date) => Promise<unknown>)[] }) {}

  start(): void {
    this.#timer = setInterval(() => {
      this.#running ??= this.runOnce().finally(() => (this.#running = undefined));
    }, this.opts.intervalMs);
    this.#timer.unref();
  }

  async runOnce(): Promise<void> {
    for (const task of this.opts.tasks) {
      try {
        await task(new Date(this.opts.now()));
      } catch (err) {
        this.opts.logger.warn({ err }, 'billing sweep task failed; retrying next tick');
      }
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
