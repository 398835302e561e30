import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { AuditChains, type AuditChainOptions } from '../audit-integrity/index.js';
import { encodeEvent, eventKey, topicForEvent, TOPICS } from '../envelope/index.js';
import type { EventBus, EventProducer, TopicSpec } from '../events/index.js';

/** The standard topics, created at start-up if missing (Kafka with auto-create off, or a fresh embedded log). */
export const STANDARD_TOPICS: readonly TopicSpec[] = [
  { topic: TOPICS.audit, partitions: 6 },
  { topic: TOPICS.usage, partitions: 12 },
  { topic: TOPICS.alerts, partitions: 3 },
  // Compacted: state, not history (the latest settings per tenant are kept for good).
  { topic: TOPICS.tenants, partitions: 3, cleanupPolicy: 'compact' },
];

/**
 * Puts aegis.events.v1 envelopes on their topic, keyed as docs/events.md says, as protobuf
 * binary. Services publish through this, never by hand, so every event looks the same on the wire.
 */
export class EventPublisher {
  readonly #producer: EventProducer;
  // Audit events are hash-chained per (producer, tenant) and checkpointed (docs/events.md,
  // "Tamper evidence"); AuditChains serialises each chain's publishes so sequences reach the
  // log in order.
  readonly #audit: AuditChains;

  constructor(bus: EventBus, audit: AuditChainOptions = {}) {
    this.#producer = bus.producer();
    this.#audit = new AuditChains((events) => this.#send(events), audit);
  }

  /** "<source>/<uuid>": the producer_id of this publisher's audit chains for `source`. */
  auditProducerId(source: string): string {
    return this.#audit.producerIdFor(source);
  }

  /**
   * Resolves once the events are durably stored (acks=all on Kafka; fsync'd embedded). Audit
   * events get their integrity fields (chain position) here, before encoding.
   */
  publish(...events: Event[]): Promise<void> {
    return this.#audit.publish(events);
  }

  /** Signs every audit chain's unsigned events (a final checkpoint), then closes the producer. */
  async close(): Promise<void> {
    await this.#audit.close();
    return this.#producer.close();
  }

  async #send(events: readonly Event[]): Promise<void> {
    await this.#producer.publish(events.map((event) => ({
      topic: topicForEvent(event),
      key: eventKey(event),
      value: encodeEvent(event),
    })));
  }
}
