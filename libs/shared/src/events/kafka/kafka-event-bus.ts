import { Kafka, type Admin, type RetryOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { EventBus, EventProducer, Subscription, SubscriptionHandle, TopicSpec } from '../ports.js';
import { kafkaLogLevelFor, pinoLogCreator } from './kafka-log.js';
import { KafkaEventProducer } from './kafka-producer.js';
import { DEFAULT_CONSUMER_TIMINGS, subscribeWithKafka, type ConsumerTimings } from './kafka-subscription.js';

// The one retry policy for every connection the bus opens: producers, consumers and admin.
// Bounded, so a publish during an outage fails within seconds instead of hanging.
const RETRY: RetryOptions = { initialRetryTime: 100, maxRetryTime: 5_000, retries: 6 };

export interface KafkaEventBusOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  consumerTimings?: Partial<ConsumerTimings>;
}

export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private readonly logger: Logger;
  private readonly timings: ConsumerTimings;
  private readonly producers = new Set<EventProducer>();
  private readonly subscriptions = new Set<SubscriptionHandle>();
  private probe: Admin | undefined;
  private closed = false;

  constructor(opts: KafkaEventBusOptions) {
    this.logger = opts.logger;
    this.timings = { ...DEFAULT_CONSUMER_TIMINGS, ...opts.consumerTimings };
    this.kafka = new Kafka({
      clientId: opts.clientId,
      brokers: opts.brokers,
      connectionTimeout: 3_000,
      requestTimeout: 30_000,
      retry: RETRY,
      logLevel: kafkaLogLevelFor(opts.logger),
      logCreator: pinoLogCreator(opts.logger),
    });
  }

  producer(): EventProducer {
    const producer = new KafkaEventProducer(this.kafka, this.logger, () => this.producers.delete(producer));
    this.producers.add(producer);
    return producer;
  }

  async subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    const inner = await subscribeWithKafka(this.kafka, subscription, { timings: this.timings, retry: RETRY, logger: this.logger });
    const handle: SubscriptionHandle = {
      stop: async () => {
        this.subscriptions.delete(handle);
        await inner.stop();
      },
    };
    this.subscriptions.add(handle);
    return handle;
  }

  async ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    if (topics.length === 0) return;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      // Creating only what is missing keeps a normal start free of kafkajs's "topic exists" error
      // lines; createTopics still tolerates a topic another service created in between.
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.partitions,
          configEntries: topicConfig(t),
        })),
      });
    } finally {
      await admin.disconnect();
    }
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('event bus is closed');
    // One long-lived admin connection for probes, without retries: a probe must answer
    // within the health timeout, and the next probe is the retry.
    this.probe ??= this.kafka.admin({ retry: { retries: 0 } });
    await this.probe.connect();
    await this.probe.describeCluster();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await Promise.all([...this.producers].map((p) => p.close()));
    await this.probe?.disconnect();
  }
}

function topicConfig(spec: TopicSpec): { name: string; value: string }[] {
  const entries: { name: string; value: string }[] = [];
  if (spec.retentionMs !== undefined) entries.push({ name: 'retention.ms', value: String(spec.retentionMs) });
  if (spec.cleanupPolicy !== undefined) entries.push({ name: 'cleanup.policy', value: spec.cleanupPolicy });
  return entries;
}
