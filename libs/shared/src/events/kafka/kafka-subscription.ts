import kafkajs, { type Consumer, type EachBatchPayload, type IHeaders, type Kafka, type KafkaMessage, type RetryOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { BatchContext, ConsumedEvent, Subscription, SubscriptionHandle } from '../ports.js';
import { handlerRuns } from '../trace-context.js';

/** Group membership timings; tests shorten them so joins and rebalances take milliseconds. */
export interface ConsumerTimings {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  /** How long a fetch waits for new events; also bounds how long stop() waits for a fetch. */
  maxWaitTimeMs: number;
}

export const DEFAULT_CONSUMER_TIMINGS: ConsumerTimings = {
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3_000,
  rebalanceTimeoutMs: 60_000,
  maxWaitTimeMs: 1_000,
};

// Long batches still commit now and then; every batch also commits when it ends.
const COMMIT_INTERVAL_MS = 1_000;

/**
 * A handler failure, marked retriable: kafkajs then re-fetches from the last resolved offset
 * with its retry backoff and, once retries run out, restarts the consumer from the committed
 * offset. An unmarked TypeError would instead stop the consumer for good. Being a KafkaJSError
 * also keeps kafkajs from logging it a second time. (The class comes off the default import:
 * kafkajs spreads its errors into module.exports, where ESM named imports cannot see them.)
 */
class EventHandlerFailed extends kafkajs.KafkaJSError {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause : new Error(String(cause)), { retriable: true });
  }
}

export async function subscribeWithKafka(
  kafka: Kafka,
  subscription: Subscription,
  settings: { timings: ConsumerTimings; retry: RetryOptions; logger: Logger },
): Promise<SubscriptionHandle> {
  const { groupId } = subscription;
  const logger = settings.logger.child({ groupId });
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: settings.timings.sessionTimeoutMs,
    heartbeatInterval: settings.timings.heartbeatIntervalMs,
    rebalanceTimeout: settings.timings.rebalanceTimeoutMs,
    maxWaitTimeInMs: settings.timings.maxWaitTimeMs,
    allowAutoTopicCreation: false,
    retry: settings.retry,
  });

  const joined = new Promise<void>((resolve, reject) => {
    consumer.on(consumer.events.GROUP_JOIN, () => resolve());
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      logger.error({ err: payload.error }, 'event consumer stopped after a non-retriable error');
      reject(payload.error);
    });
  });
  joined.catch(() => undefined); // observed below; a crash after joining is only logged

  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...subscription.topics], fromBeginning: subscription.fromBeginning ?? false });
    await consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(1, Math.trunc(subscription.partitionsConcurrently ?? 1)),
      autoCommitInterval: COMMIT_INTERVAL_MS,
      eachBatch: (payload) => handleKafkaBatch(subscription, payload, logger),
    });
    await joined;
  } catch (err) {
    await consumer.disconnect();
    throw err;
  }

  let stopped: Promise<void> | undefined;
  return { stop: () => (stopped ??= stopConsumer(consumer)) };
}

async function stopConsumer(consumer: Consumer): Promise<void> {
  // disconnect waits for the batch in progress, commits resolved offsets and leaves the group.
  await consumer.disconnect();
}

async function handleKafkaBatch(subscription: Subscription, payload: EachBatchPayload, logger: Logger): Promise<void> {
  const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
  const ctx: BatchContext = { groupId: subscription.groupId, topic: batch.topic, partition: batch.partition, heartbeat };
  const events = batch.messages.map((m) => consumedEvent(batch.topic, batch.partition, m));

  for (const { run, within } of handlerRuns(subscription, events)) {
    // Stopping or a rebalance: leave the rest unresolved for whoever owns the partition next.
    if (!isRunning() || isStale()) return;
    try {
      await within(async () => subscription.handleBatch(run, ctx));
    } catch (err) {
      logger.warn({ err, topic: batch.topic, partition: batch.partition, offset: run[0]!.offset }, 'event handler failed; events will be redelivered');
      throw new EventHandlerFailed(err);
    }
    resolveOffset(run[run.length - 1]!.offset);
    await commitOffsetsIfNecessary();
    await heartbeat();
  }
}

function consumedEvent(topic: string, partition: number, message: KafkaMessage): ConsumedEvent {
  return {
    topic,
    partition,
    key: message.key?.toString('utf8') ?? '',
    value: message.value ?? new Uint8Array(0),
    headers: stringHeaders(message.headers),
    offset: message.offset,
    timestamp: Number(message.timestamp),
  };
}

function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    // Kafka allows repeated headers; the last one wins, as with a Map built from them.
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) out[name] = value.toString();
  }
  return out;
}
