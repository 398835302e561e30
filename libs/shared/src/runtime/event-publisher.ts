import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { encodeEvent, eventKey, topicForEvent, TOPICS } from '../envelope/index.js';
import type { EventBus, EventProducer, TopicSpec } from '../events/index.js';

/** The standard topics, created at start-up if missing (Kafka with auto-create off, or a fresh embedded log). */
export const STANDARD_TOPICS: readonly TopicSpec[] = [
  { topic: TOPICS.audit, partitions: 6 },
  { topic: TOPICS.usage, partitions: 6 },
  { topic: TOPICS.alerts, partitions: 3 },
];

/**
 * Puts aegis.events.v1 envelopes on their topic, keyed as docs/events.md says, as protobuf
 * binary. Services publish through this, never by hand, so every event looks the same on the wire.
 */
export class EventPublisher {
  readonly #producer: EventProducer;

  constructor(bus: EventBus) {
    this.#producer = bus.producer();
  }

  /** Resolves once the events are durably stored (acks=all on Kafka; fsync'd embedded). */
  publish(...events: Event[]): Promise<void> {
    return this.#producer.publish(events.map((event) => ({
      topic: topicForEvent(event),
      key: eventKey(event),
      value: encodeEvent(event),
    })));
  }

  close(): Promise<void> {
    return this.#producer.close();
  }
}
