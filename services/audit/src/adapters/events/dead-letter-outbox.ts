import { OutboxFlusher, publishDeadLetters, type EventProducer, type Logger } from '@aegis/shared';
import type { AuditStore } from '../postgres/audit-store.js';

/**
 * Republishes parked audit messages on `<topic>.dlq` (libs/shared/src/events/dead-letter.ts).
 * The consumer parks in its write transaction (the durable copy) and only kicks a flush, so a
 * slow or unreachable dead-letter topic never holds the audit partition; the draining rules
 * (single flight, retry tick, no hot loop) are the shared OutboxFlusher's.
 */
export function auditDeadLetters(deps: { store: AuditStore; producer: EventProducer; groupId: string; retryMs: number; logger: Logger }): OutboxFlusher {
  return new OutboxFlusher({
    retryMs: deps.retryMs,
    logger: deps.logger,
    failureMessage: 'parked audit messages not yet dead-lettered; they stay in parked_messages and are retried',
    publishSome: (limit) => deps.store.deadLetterParked(limit, (parked) => publishDeadLetters(deps.producer, parked.map((p) => ({
      message: { topic: p.topic, partition: p.partition, offset: p.offset, key: p.key, value: p.payload, headers: p.headers },
      reason: p.reason, groupId: deps.groupId, at: p.parkedAt,
    })))),
  });
}
