import { publishDeadLetters, type EventProducer, type Logger } from '@aegis/shared';
import type { AuditStore } from '../postgres/audit-store.js';

const BATCH = 500;

/**
 * Republishes parked messages on `<topic>.dlq` (libs/shared/src/events/dead-letter.ts). The
 * consumer parks in its write transaction (the durable copy) and only kicks a flush, so a slow
 * or unreachable dead-letter topic never holds the audit partition; what a failed flush left
 * behind goes out at the next kick or retry tick.
 */
export class DeadLetterOutbox {
  #flushing: Promise<number> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: { store: AuditStore; producer: EventProducer; groupId: string; retryMs: number; logger: Logger }) {}

  start(): void {
    this.#timer = setInterval(() => this.kick(), this.deps.retryMs);
    this.#timer.unref();
    this.kick();
  }

  kick(): void {
    void this.flush();
  }

  /** Publishes every pending message; resolves (never rejects) with how many. Concurrent calls share one run. */
  flush(): Promise<number> {
    if (this.#flushing !== undefined) {
      this.#again = true;
      return this.#flushing;
    }
    this.#flushing = this.#drain().finally(() => {
      this.#flushing = undefined;
      if (this.#again) this.kick();
    });
    return this.#flushing;
  }

  async #drain(): Promise<number> {
    let published = 0;
    try {
      do {
        this.#again = false;
        for (;;) {
          const sent = await this.deps.store.deadLetterParked(BATCH, (parked) => publishDeadLetters(this.deps.producer, parked.map((p) => ({
            message: { topic: p.topic, partition: p.partition, offset: p.offset, key: p.key, value: p.payload, headers: p.headers },
            reason: p.reason, groupId: this.deps.groupId, at: p.parkedAt,
          }))));
          published += sent;
          if (sent < BATCH) break;
        }
      } while (this.#again);
    } catch (err) {
      this.#again = false; // no hot loop while the topic is down: the retry tick tries again
      this.deps.logger.warn({ err }, 'parked audit messages not yet dead-lettered; they stay in parked_messages and are retried');
    }
    return published;
  }

  /** Stops the retry tick and waits for a flush in progress (before the bus and database close). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    while (this.#flushing !== undefined) await this.#flushing;
  }
}
