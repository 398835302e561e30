import { decodeEvent, type ConsumedEvent, type EventBus, type Logger, type SubscriptionHandle } from '@aegis/shared';
import type { LedgerWriter, Rejected } from './ledger-writer.js';
import { entryFromEvent, type UsageEntry } from './usage-entry.js';

export interface LedgerConsumerOptions {
  bus: EventBus;
  writer: LedgerWriter;
  topic: string;
  groupId: string;
  fromBeginning: boolean;
  /** Most events per ledger transaction. */
  batchSize: number;
  /** Partitions booked at once (one transaction each); 1 = one batch at a time. */
  partitionsConcurrently?: number;
  logger: Logger;
  /** Called after each committed transaction with the number of events newly booked. */
  onBooked?: (count: number) => void;
}

/**
 * The billing consumer group on the usage topic. Each delivered batch is booked in ledger
 * transactions of at most `batchSize` events; the bus commits the batch's offsets only after
 * handleBatch resolves, i.e. after every transaction committed. A crash in between redelivers
 * events the ledger already holds, and their event ids make them no-ops. Up to
 * `partitionsConcurrently` partitions are booked at once, each in its own transaction: the
 * writer locks shared rows (ledger ids, rollups, reservations, budget periods, alert tenants)
 * in one global order, so concurrent batches serialise on what they share and never deadlock.
 */
export async function startLedgerConsumer(opts: LedgerConsumerOptions): Promise<SubscriptionHandle> {
  return opts.bus.subscribe({
    groupId: opts.groupId,
    topics: [opts.topic],
    fromBeginning: opts.fromBeginning,
    partitionsConcurrently: opts.partitionsConcurrently ?? 1,
    async handleBatch(events, ctx) {
      for (let i = 0; i < events.length; i += opts.batchSize) {
        const { entries, rejected } = decodeBatch(events.slice(i, i + opts.batchSize));
        const booked = await opts.writer.book(entries, rejected);
        opts.onBooked?.(booked);
        if (i + opts.batchSize < events.length) await ctx.heartbeat();
      }
    },
  });
}

export function decodeBatch(events: readonly ConsumedEvent[]): { entries: UsageEntry[]; rejected: Rejected[] } {
  const entries: UsageEntry[] = [];
  const rejected: Rejected[] = [];
  for (const consumed of events) {
    const reject = (reason: string, eventId = '', tenantId = '') => rejected.push({ topic: consumed.topic, partition: consumed.partition, offset: consumed.offset, eventId, tenantId, reason, payload: consumed.value });
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
