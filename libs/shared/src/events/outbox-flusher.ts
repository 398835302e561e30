import type { Logger } from '../logging/index.js';

export interface OutboxFlusherOptions {
  /**
   * Publishes up to `limit` rows of the outbox (dead letters to their `<topic>.dlq`, events to
   * their topic) and marks or deletes them, answering how many it published: the one part that
   * knows the service's outbox table.
   */
  publishSome(limit: number): Promise<number>;
  /** Rows per round (default 500): a round that publishes fewer ends the drain. */
  batchSize?: number;
  /** With `start()`: retry whatever a failed flush left behind this often. */
  retryMs?: number;
  logger: Logger;
  /** Logged (warn) when a flush fails; say where the messages stay until the next try. */
  failureMessage: string;
}

/**
 * Drains an outbox table to Kafka: messages a service wrote in its own transaction (a consumer's
 * dead letters, billing's usage events from commits), so the transaction never waits for Kafka
 * and a slow or unreachable topic never holds a partition or a request. The writer only kicks a
 * flush. Single flight: concurrent flushes share one run, and a kick that arrives during a run
 * makes it go round again. A flush never rejects: on failure it logs and stops (no hot loop
 * while the topic is down) and the next kick or retry tick tries again. At least once: a crash
 * between publishing and marking publishes again, so readers dedupe (DLQ readers by the source
 * position in the `aegis-dlq-*` headers, the ledger by event id).
 */
export class OutboxFlusher {
  #flushing: Promise<number> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: OutboxFlusherOptions) {}

  /** Starts the retry tick (if `retryMs` is set) and a first flush of what an earlier run left. */
  start(): void {
    if (this.opts.retryMs !== undefined) {
      this.#timer = setInterval(() => this.kick(), this.opts.retryMs);
      this.#timer.unref();
    }
    this.kick();
  }

  /** Starts a flush in the background, or asks the running one to go round again. */
  kick(): void {
    void this.flush();
  }

  /** Publishes every pending message; resolves with how many. */
  flush(): Promise<number> {
    if (this.#flushing !== undefined) {
      this.#again = true;
      return this.#flushing;
    }
    this.#flushing = this.#drain().finally(() => {
      this.#flushing = undefined;
      // A kick that came after the last round's check: go again rather than wait for the tick.
      if (this.#again) this.kick();
    });
    return this.#flushing;
  }

  /** Resolves once no flush is running: call before closing the event bus or the database. */
  async idle(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
  }

  /** Stops the retry tick and waits for a flush in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.idle();
  }

  async #drain(): Promise<number> {
    const batch = this.opts.batchSize ?? 500;
    let published = 0;
    try {
      do {
        this.#again = false;
        for (;;) {
          const sent = await this.opts.publishSome(batch);
          published += sent;
          if (sent < batch) break;
        }
      } while (this.#again);
    } catch (err) {
      this.#again = false;
      this.opts.logger.warn({ err }, this.opts.failureMessage);
    }
    return published;
  }
}
