import { decodeEvent, type ConsumedEvent, type EventBus, type Logger, type SubscriptionHandle } from '@aegis/shared';
import { recordOf, type AuditRecordRow } from '../../domain/audit-record.js';
import type { RetentionPolicy } from '../../domain/retention.js';
import type { AuditStore, ParkedMessage } from '../postgres/audit-store.js';

export interface AuditConsumerOptions {
  bus: EventBus;
  store: AuditStore;
  topic: string;
  groupId: string;
  fromBeginning: boolean;
  /** Most records per transaction. */
  batchSize: number;
  retention: RetentionPolicy;
  now: () => number;
  logger: Logger;
  /** After each commit, the tenants that got new records (in-process tails wake on it). */
  onStored?: (tenants: string[]) => void;
  /** After a commit that parked messages (the dead-letter outbox has work). */
  onParked?: () => void;
}

/**
 * The sink's consumer group on the audit topic. A delivered batch is stored in transactions of
 * at most `batchSize` records; the bus commits the batch's offsets only after handleBatch
 * resolves, i.e. after every transaction committed, so a crash in between redelivers records
 * the table already holds, and their event ids make them no-ops. A message that is not an
 * audit record is parked (table parked_messages) in the same transaction and republished on
 * `<topic>.dlq` after it (auditDeadLetters), never retried: it would block its partition for good.
 */
export async function startAuditConsumer(opts: AuditConsumerOptions): Promise<SubscriptionHandle> {
  return opts.bus.subscribe({
    groupId: opts.groupId,
    topics: [opts.topic],
    fromBeginning: opts.fromBeginning,
    // A batch mixes many producers' traces: one call per batch, linked to them (not one per event).
    traceContext: 'linked',
    async handleBatch(events, ctx) {
      for (let i = 0; i < events.length; i += opts.batchSize) {
        const storedAt = new Date(opts.now());
        const { rows, parked } = sortBatch(events.slice(i, i + opts.batchSize), opts.retention, storedAt);
        for (const p of parked) {
          opts.logger.warn({ topic: p.topic, partition: p.partition, offset: p.offset, reason: p.reason }, 'audit topic message parked for the dead-letter topic: not an audit record');
        }
        const tenants = await opts.store.store(rows, parked, storedAt);
        if (tenants.length > 0) opts.onStored?.(tenants);
        if (parked.length > 0) opts.onParked?.();
        if (i + opts.batchSize < events.length) await ctx.heartbeat();
      }
    },
  });
}

/** Rows to store and messages to park, in offset order. */
export function sortBatch(events: readonly ConsumedEvent[], retention: RetentionPolicy, storedAt: Date): { rows: AuditRecordRow[]; parked: ParkedMessage[] } {
  const rows: AuditRecordRow[] = [];
  const parked: ParkedMessage[] = [];
  for (const consumed of events) {
    const park = (reason: string) => parked.push({ topic: consumed.topic, partition: consumed.partition, offset: consumed.offset, key: consumed.key, headers: consumed.headers, reason, payload: consumed.value });
    let record: ReturnType<typeof recordOf>;
    try {
      record = recordOf(decodeEvent(consumed.value), consumed.value, retention, storedAt);
    } catch (err) {
      park(`not a valid aegis.events.v1 envelope: ${(err as Error).message}`);
      continue;
    }
    if ('problem' in record) park(record.problem);
    else rows.push(record);
  }
  return { rows, parked };
}
