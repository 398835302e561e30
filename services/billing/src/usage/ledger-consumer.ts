import { decodeEvent, type ConsumedEvent, type OutboxFlusher, type EventBus, type Logger, type SubscriptionHandle } from '@aegis/shared';
import { BookingQueue } from './booking-queue.js';
import type { LedgerWriter, OriginOf, Rejected } from './ledger-writer.js';
import { entryFromEvent, type UsageEntry } from './usage-entry.js';
import { fastUsageEntry } from './usage-wire.js';

export interface LedgerConsumerOptions {
  bus: EventBus;
  writer: LedgerWriter;
  topic: string;
  groupId: string;
  fromBeginning: boolean;
  /** Most events per ledger transaction (and per decoded slice of a partition's batch). */
  batchSize: number;
  /** Partitions handled at once (their slices share transactions); 1 = one batch at a time. */
  partitionsConcurrently?: number;
  logger: Logger;
  /** Republishes parked (rejected) messages on `<topic>.dlq`, kicked after a booking that parked some; without it they stay in usage_rejected only. Await its idle() after stopping. */
  deadLetters?: OutboxFlusher;
  /** Called after each committed transaction with the number of events newly booked. */
  onBooked?: (count: number) => void;
}

/**
 * The billing consumer group on the usage topic. Each delivered batch is decoded in slices of
 * at most `batchSize` events; slices of the partitions handled at once are booked together in
 * one ledger transaction of at most `batchSize` events (BookingQueue: group commit). The bus
 * commits a batch's offsets only after handleBatch resolves, i.e. after the transactions
 * holding its slices committed. A crash in between redelivers events the ledger already
 * holds, and their event ids make them no-ops. The writer locks shared rows (ledger ids,
 * rollups, reservations, budget periods, alert tenants) in one global order, so the
 * transactions of several instances serialise on what they share and never deadlock.
 * Messages that cannot be booked are parked in the same transaction and dead-lettered after
 * it; a DLQ that is down never holds the partition (the parked row is the durable copy).
 */
export async function startLedgerConsumer(opts: LedgerConsumerOptions): Promise<SubscriptionHandle> {
  const concurrently = opts.partitionsConcurrently ?? 1;
  const queue = new BookingQueue({
    writer: opts.writer,
    maxEvents: opts.batchSize,
    onBooked: ({ booked, parked }) => {
      opts.onBooked?.(booked);
      if (parked > 0) opts.deadLetters?.kick();
    },
  });
  return opts.bus.subscribe({
    groupId: opts.groupId,
    topics: [opts.topic],
    fromBeginning: opts.fromBeginning,
    partitionsConcurrently: concurrently,
    // A batch mixes many requests' traces: one call per batch, linked to them (not one per event).
    traceContext: 'linked',
    async handleBatch(events, ctx) {
      for (let i = 0; i < events.length; i += opts.batchSize) {
        const slice = events.slice(i, i + opts.batchSize);
        const { entries, rejected } = decodeBatch(slice);
        await queue.book(entries, rejected, originsOf(slice));
        if (i + opts.batchSize < events.length) await ctx.heartbeat();
      }
    },
  });
}

/** Decodes a batch: the common shape on the hand-written fast path, anything else with protobuf-es. */
export function decodeBatch(events: readonly ConsumedEvent[]): { entries: UsageEntry[]; rejected: Rejected[] } {
  const entries: UsageEntry[] = [];
  const rejected: Rejected[] = [];
  for (const consumed of events) {
    const fast = fastUsageEntry(consumed.value);
    if (fast !== undefined) {
      entries.push(fast);
      continue;
    }
    const reject = (reason: string, eventId = '', tenantId = '') => rejected.push({
      topic: consumed.topic, partition: consumed.partition, offset: consumed.offset, key: consumed.key, headers: consumed.headers, payload: consumed.value,
      eventId, tenantId, reason,
    });
    let entry: ReturnType<typeof entryFromEvent>;
    try {
      const event = decodeEvent(consumed.value);
      entry = entryFromEvent(event);
      if ('problem' in entry) {
        reject(entry.problem, event.id, event.tenantId);
        continue;
      }
    } catch (err) {
      reject(`not a valid aegis.events.v1 envelope: ${(err as Error).message}`);
      continue;
    }
    entries.push(entry);
  }
  return { entries, rejected };
}

/** The message of an event id in `events`, indexed on first use (only entries that cannot be priced ask). */
function originsOf(events: readonly ConsumedEvent[]): OriginOf {
  let byId: Map<string, ConsumedEvent> | undefined;
  return (eventId) => {
    if (byId === undefined) {
      byId = new Map();
      for (const consumed of events) {
        const fast = fastUsageEntry(consumed.value);
        if (fast !== undefined) byId.set(fast.eventId, consumed);
        else {
          try {
            byId.set(decodeEvent(consumed.value).id, consumed);
          } catch {
            // undecodable: rejected already, never priced
          }
        }
      }
    }
    return byId.get(eventId);
  };
}
