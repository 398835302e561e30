import { OutboxFlusher, deadLetterTopicSpec, publishDeadLetters, type EventBus, type EventProducer, type Logger, type SqlDatabase } from '@aegis/shared';

interface PendingRow {
  topic: string;
  partition: number;
  offset: string;
  message_key: string;
  headers: Record<string, string> | string;
  payload: Uint8Array;
  reason: string;
  rejected_at: Date | string;
}

/** Partitions of aegis.usage.v1.dlq: a trickle of refused messages, not a stream. */
export const USAGE_DLQ_PARTITIONS = 3;

/** Creates `<usage topic>.dlq` if missing (Kafka runs with topic auto-creation off). */
export async function ensureUsageDeadLetterTopic(bus: EventBus, usageTopic: string): Promise<void> {
  await bus.ensureTopics([deadLetterTopicSpec({ topic: usageTopic, partitions: USAGE_DLQ_PARTITIONS })]);
}

/**
 * Republishes rejected usage on `<topic>.dlq` (docs/events.md, "Dead letters"). The booking
 * transaction parks each rejected message in usage_rejected (the outbox); a flush publishes the
 * rows not yet dead-lettered and marks them. The consumer only `kick`s a flush and moves on (the
 * sweeper kicks too); the draining rules are the shared OutboxFlusher's.
 */
export function usageDeadLetters(deps: { db: SqlDatabase; producer: EventProducer; groupId: string; logger: Logger; batchSize?: number }): OutboxFlusher {
  return new OutboxFlusher({
    batchSize: deps.batchSize,
    logger: deps.logger,
    failureMessage: 'rejected usage not yet dead-lettered; it stays parked in usage_rejected and is retried at the next flush',
    publishSome: (limit) => deps.db.transaction(async (tx) => {
      // SKIP LOCKED: instances (and concurrent partitions) flushing at once take different rows.
      const pending = await tx.query<PendingRow>(
        `SELECT topic, partition, "offset", message_key, headers, payload, reason, rejected_at FROM usage_rejected
         WHERE dead_lettered_at IS NULL AND topic <> '' ORDER BY rejected_at LIMIT $1 FOR UPDATE SKIP LOCKED`, [limit]);
      if (pending.rows.length === 0) return 0;
      await publishDeadLetters(deps.producer, pending.rows.map((row) => ({
        message: {
          topic: row.topic, partition: row.partition, offset: row.offset, key: row.message_key, value: row.payload,
          headers: typeof row.headers === 'string' ? (JSON.parse(row.headers) as Record<string, string>) : row.headers,
        },
        reason: row.reason, groupId: deps.groupId, at: new Date(row.rejected_at),
      })));
      await tx.query(
        `UPDATE usage_rejected SET dead_lettered_at = now()
         WHERE (topic, partition, "offset") IN (SELECT * FROM unnest($1::text[], $2::int4[], $3::text[]))`,
        [pending.rows.map((r) => r.topic), pending.rows.map((r) => r.partition), pending.rows.map((r) => r.offset)]);
      return pending.rows.length;
    }),
  });
}
