// Dead-letter topics (docs/events.md, "Dead letters"): a consumer that cannot process a message
// (undecodable, invalid, refused for good) republishes it unchanged on `<topic>.dlq`, with
// headers saying why and where it was read, and moves on. Retrying such a message would only
// block its partition. The message keeps its key, so it lands on the DLQ partition its key
// maps to, and its original headers; the `aegis-dlq-*` headers are added beside them.
import type { ConsumedEvent, EventMessage, EventProducer, TopicSpec } from './ports.js';

export const DEAD_LETTER_SUFFIX = '.dlq';

/** Header names added to a dead-lettered message. */
export const DEAD_LETTER_HEADERS = {
  /** Why the consumer refused the message (one line, no secrets). */
  reason: 'aegis-dlq-reason',
  /** Where it was read: topic, partition and offset of the original message. */
  sourceTopic: 'aegis-dlq-source-topic',
  sourcePartition: 'aegis-dlq-source-partition',
  sourceOffset: 'aegis-dlq-source-offset',
  /** The consumer group that refused it. */
  consumerGroup: 'aegis-dlq-consumer-group',
  /** When it was refused, ISO 8601. */
  deadLetteredAt: 'aegis-dlq-time',
} as const;

/** Reasons longer than this are cut: a header, not a log. */
const MAX_REASON_LENGTH = 1_000;

export function deadLetterTopic(topic: string): string {
  return `${topic}${DEAD_LETTER_SUFFIX}`;
}

/** The DLQ topic of `source`, sized like it (so keys spread alike), to pass to ensureTopics. */
export function deadLetterTopicSpec(source: TopicSpec): TopicSpec {
  return { ...source, topic: deadLetterTopic(source.topic), cleanupPolicy: 'delete' };
}

/** A refused message: the consumed message (or what was stored of it) and why. */
export interface DeadLetter {
  message: Pick<ConsumedEvent, 'topic' | 'partition' | 'offset' | 'key' | 'value' | 'headers'>;
  reason: string;
  groupId: string;
  /** Default: now. */
  at?: Date;
}

/** The message to publish on the dead-letter topic: original key, bytes and headers, plus the aegis-dlq-* headers. */
export function deadLetterMessage(letter: DeadLetter): EventMessage {
  const { message } = letter;
  const reason = letter.reason.replace(/[\r\n]+/g, ' ').slice(0, MAX_REASON_LENGTH);
  return {
    topic: deadLetterTopic(message.topic),
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [DEAD_LETTER_HEADERS.reason]: reason,
      [DEAD_LETTER_HEADERS.sourceTopic]: message.topic,
      [DEAD_LETTER_HEADERS.sourcePartition]: String(message.partition),
      [DEAD_LETTER_HEADERS.sourceOffset]: message.offset,
      [DEAD_LETTER_HEADERS.consumerGroup]: letter.groupId,
      [DEAD_LETTER_HEADERS.deadLetteredAt]: (letter.at ?? new Date()).toISOString(),
    },
  };
}

/**
 * Publishes the letters in one call (durable when it resolves). Delivery is at least once: a
 * consumer that crashes after publishing and before committing its offset publishes again on
 * redelivery, so DLQ readers dedupe by source topic, partition and offset.
 */
export async function publishDeadLetters(producer: EventProducer, letters: readonly DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  await producer.publish(letters.map(deadLetterMessage));
}

/** Where a dead-lettered message came from and why, read back from its headers (undefined if it is not one). */
export function deadLetterOrigin(headers: Record<string, string>): { topic: string; partition: number; offset: string; groupId: string; reason: string; at: string } | undefined {
  const topic = headers[DEAD_LETTER_HEADERS.sourceTopic];
  const partition = headers[DEAD_LETTER_HEADERS.sourcePartition];
  const offset = headers[DEAD_LETTER_HEADERS.sourceOffset];
  const reason = headers[DEAD_LETTER_HEADERS.reason];
  if (topic === undefined || partition === undefined || offset === undefined || reason === undefined) return undefined;
  return {
    topic, partition: Number(partition), offset, reason,
    groupId: headers[DEAD_LETTER_HEADERS.consumerGroup] ?? '', at: headers[DEAD_LETTER_HEADERS.deadLetteredAt] ?? '',
  };
}
