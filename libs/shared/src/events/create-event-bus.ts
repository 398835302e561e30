import type { Logger } from 'pino';
import { createLogger } from '../logging/index.js';
import { EmbeddedEventBus } from './embedded/embedded-event-bus.js';
import type { Redelivery } from './embedded/partition-worker.js';
import { KafkaEventBus } from './kafka/kafka-event-bus.js';
import type { ConsumerTimings } from './kafka/kafka-subscription.js';
import type { EventBus } from './ports.js';

export interface EventBusOptions {
  /** Kafka bootstrap brokers (`host:port`). Absent or empty: the embedded log under dataDir. */
  kafkaBrokers?: readonly string[];
  clientId: string;
  /** Where the embedded log lives (`<dataDir>/events`); unused with Kafka. */
  dataDir: string;
  logger?: Logger;
  /** Kafka group timings; tests shorten them. */
  consumerTimings?: Partial<ConsumerTimings>;
  /** Embedded redelivery backoff; Kafka uses its client retry policy instead. */
  redelivery?: Partial<Redelivery>;
}

/** Kafka when brokers are configured, otherwise the embedded, single-process durable log. */
export async function createEventBus(opts: EventBusOptions): Promise<EventBus> {
  const logger = (opts.logger ?? createLogger({ service: opts.clientId })).child({ component: 'event-bus' });
  if (opts.kafkaBrokers && opts.kafkaBrokers.length > 0) {
    return new KafkaEventBus({
      brokers: [...opts.kafkaBrokers],
      clientId: opts.clientId,
      logger,
      ...(opts.consumerTimings ? { consumerTimings: opts.consumerTimings } : {}),
    });
  }
  if (opts.dataDir.length === 0) throw new Error('the embedded event bus needs a dataDir (or configure Kafka brokers)');
  return EmbeddedEventBus.open({ dataDir: opts.dataDir, logger, ...(opts.redelivery ? { redelivery: opts.redelivery } : {}) });
}
