export type {
  BatchContext,
  ConsumedEvent,
  EventBus,
  EventMessage,
  EventProducer,
  Subscription,
  SubscriptionHandle,
  TopicSpec,
} from './ports.js';
export { createEventBus, type EventBusOptions } from './create-event-bus.js';
export { EmbeddedEventBus, type EmbeddedEventBusOptions } from './embedded/embedded-event-bus.js';
export { UnknownTopicError } from './embedded/log-directory.js';
export type { Redelivery } from './embedded/partition-worker.js';
export { KafkaEventBus, type KafkaEventBusOptions } from './kafka/kafka-event-bus.js';
export { DEFAULT_CONSUMER_TIMINGS, type ConsumerTimings } from './kafka/kafka-subscription.js';
export { murmur2, partitionForKey } from './partitioner.js';
export { activeTraceCarrier, inStoredTraceContext, traceContextOf } from './trace-context.js';
export {
  DEAD_LETTER_HEADERS,
  DEAD_LETTER_SUFFIX,
  deadLetterMessage,
  deadLetterOrigin,
  deadLetterTopic,
  deadLetterTopicSpec,
  publishDeadLetters,
  type DeadLetter,
} from './dead-letter.js';
export { OutboxFlusher, type OutboxFlusherOptions } from './outbox-flusher.js';
