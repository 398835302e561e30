import type { Logger } from '@aegis/shared';
import type { ApiKeyStore } from '../ports.js';

/**
 * Last-used times, kept in memory by the hot path (a Map write) and written in one batched
 * UPDATE per interval, so a verification never waits on, or adds load per call to, the
 * database. A failed batch is kept and retried with the next one; close() writes what is left.
 */
export class LastUsedRecorder {
  #pending = new Map<string, Date>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Pick<ApiKeyStore, 'recordLastUsed'>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  record(keyId: string): void {
    this.#pending.set(keyId, this.now());
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), this.intervalMs).unref();
  }

  /** Writes what was recorded so far; one flush at a time. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#write());
    return this.#flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  async #write(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    try {
      await this.store.recordLastUsed(batch);
    } catch (err) {
      // Keep the batch for the next attempt, without overwriting anything newer recorded meanwhile.
      for (const [keyId, at] of batch) if (!this.#pending.has(keyId)) this.#pending.set(keyId, at);
      this.logger.warn({ err, keys: batch.size }, 'api keys: could not write last-used times; retrying with the next batch');
    }
  }
}
