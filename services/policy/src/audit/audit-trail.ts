import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '@aegis/shared';
import { changeEvent, type ChangeAuditInput } from './change-event.js';
import { decisionEvent, type DecisionAuditInput } from './decision-event.js';

/** Where events go: the runtime's EventPublisher (Kafka or the embedded log). */
export interface AuditPublisher {
  publish(...events: Event[]): Promise<void>;
}

export interface AuditTrailOptions {
  publisher: AuditPublisher;
  logger: Logger;
  /** Share of allowed decisions recorded, 0-1 (denials are always recorded). */
  allowSampleRate: number;
  /** Queued events beyond which new ones are dropped (and counted). */
  maxInFlight?: number;
  registry?: Registry;
  /** Uniform in [0, 1); a fixed sequence in tests. */
  random?: () => number;
}

const DEFAULT_MAX_IN_FLIGHT = 10_000;

/** Events handed to the bus in one call: one produce request (Kafka) or one fsync (embedded). */
const MAX_BATCH = 500;

/**
 * The policy service's audit trail. A decision is answered before its event is stored: the
 * decision point must stay sub-millisecond, and waiting for acks=all on every denial would tie
 * its latency to Kafka's. Decision events are queued and written by one background loop, a
 * batch per bus call (group commit: while one batch is being stored the next one fills, so a
 * burst of denials costs a few writes, not one fsync or produce round trip each). The queue is
 * bounded: if the broker stalls, at most `maxInFlight` events wait, later ones are dropped,
 * logged and counted (`aegis_policy_audit_events_dropped_total`), and decisions keep being
 * answered. Admin changes are awaited by their handlers (after the store commit) like auth's.
 */
export class AuditTrail {
  readonly #opts: Required<Omit<AuditTrailOptions, 'registry'>>;
  readonly #published: Counter<'kind'>;
  readonly #dropped: Counter<'kind'>;
  readonly #queue: Event[] = [];
  #writing = 0;
  #writer: Promise<void> | undefined;

  constructor(opts: AuditTrailOptions) {
    if (!(opts.allowSampleRate >= 0 && opts.allowSampleRate <= 1)) throw new RangeError('allowSampleRate must be within 0-1');
    this.#opts = { maxInFlight: DEFAULT_MAX_IN_FLIGHT, random: Math.random, ...opts };
    const registers = opts.registry !== undefined ? [opts.registry] : [];
    this.#published = new Counter({ name: 'aegis_policy_audit_events_total', help: 'Audit events handed to the event bus, by kind (decision, change).', labelNames: ['kind'], registers });
    this.#dropped = new Counter({ name: 'aegis_policy_audit_events_dropped_total', help: 'Audit events lost: the bus refused them or too many were waiting.', labelNames: ['kind'], registers });
  }

  /** True when this allowed decision is in the sample (denials are always recorded). */
  shouldRecord(allowed: boolean): boolean {
    if (!allowed) return true;
    const rate = this.#opts.allowSampleRate;
    return rate >= 1 || (rate > 0 && this.#opts.random() < rate);
  }

  /** Records a decision if it is a denial or sampled; never throws, never waits. */
  decision(input: DecisionAuditInput): void {
    if (!this.shouldRecord(input.decision.allowed)) return;
    if (this.#queue.length + this.#writing >= this.#opts.maxInFlight) {
      this.#dropped.inc({ kind: 'decision' });
      return;
    }
    try {
      this.#queue.push(decisionEvent(input));
    } catch (err) {
      this.#opts.logger.error({ err }, 'could not build a decision audit event');
      this.#dropped.inc({ kind: 'decision' });
      return;
    }
    // Started on the next turn, so every decision of this turn (a CheckBatch) joins the batch.
    this.#writer ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#drain());
  }

  /** Records an admin change; resolves once stored. A failure is logged, not thrown: the change is committed. */
  async change(input: ChangeAuditInput): Promise<void> {
    try {
      await this.#opts.publisher.publish(changeEvent(input));
      this.#published.inc({ kind: 'change' });
    } catch (err) {
      this.#dropped.inc({ kind: 'change' });
      this.#opts.logger.error({ err, tenantId: input.tenantId, action: input.action }, 'change audit event not published');
    }
  }

  /** Waits until every queued decision event was handed over (at shutdown, before the bus closes). */
  async flush(): Promise<void> {
    while (this.#writer !== undefined) await this.#writer;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_BATCH);
        this.#writing = batch.length;
        try {
          await this.#opts.publisher.publish(...batch);
          this.#published.inc({ kind: 'decision' }, batch.length);
        } catch (err) {
          // The bus already retried (kafkajs retries; the embedded log fails only on a disk
          // error): these events are lost, and counted, rather than blocking later ones.
          this.#dropped.inc({ kind: 'decision' }, batch.length);
          this.#opts.logger.error({ err, events: batch.length }, 'decision audit events not published');
        } finally {
          this.#writing = 0;
        }
      }
    } finally {
      this.#writer = undefined;
    }
  }
}
