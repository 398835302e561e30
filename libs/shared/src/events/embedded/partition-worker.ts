// Delivers one partition to one consumer group: reads from the committed offset, hands runs of
// events to the member that currently owns the partition, and commits after each handled run.
// One worker per (group, partition) is what keeps per-key order within a group.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { BatchContext, ConsumedEvent, Subscription } from '../ports.js';
import { handlerRuns } from '../trace-context.js';
import type { CommittedOffsets } from './committed-offsets.js';
import type { PartitionLog, StoredRecord } from './partition-log.js';

const MAX_BATCH_RECORDS = 500;
const MAX_BATCH_BYTES = 1024 * 1024;

export interface Redelivery {
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface PartitionWorkerOptions {
  groupId: string;
  topic: string;
  partition: number;
  log: PartitionLog;
  offsets: CommittedOffsets;
  /** The member that owns this partition now, or undefined when none is subscribed. */
  owner: () => Subscription | undefined;
  redelivery: Redelivery;
  logger: Logger;
}

export class PartitionWorker {
  private readonly stopping = new AbortController();
  private running: Promise<void> = Promise.resolve();
  /** The run being handled and committed, and for whom. */
  private delivery: { owner: Subscription; done: Promise<unknown> } | undefined;

  constructor(private readonly o: PartitionWorkerOptions) {}

  start(fromBeginning: boolean): void {
    this.running = this.deliver(fromBeginning).catch((err: unknown) => {
      this.o.logger.error({ err, groupId: this.o.groupId, topic: this.o.topic, partition: this.o.partition }, 'event delivery stopped');
    });
  }

  /** Stops after the run in progress is handled and committed. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  /** Resolves once no run is being handled by `owner` (it has left and must not be waited on after). */
  async settle(owner: Subscription): Promise<void> {
    while (this.delivery?.owner === owner) await this.delivery.done.catch(() => undefined);
  }

  private async deliver(fromBeginning: boolean): Promise<void> {
    const { log, offsets, topic, partition } = this.o;
    const signal = this.stopping.signal;
    let next = offsets.get(topic, partition) ?? (fromBeginning ? 0 : log.endOffset);
    let cursor = await log.locate(next);
    let failures = 0;

    while (!signal.aborted) {
      const owner = this.o.owner();
      if (!owner) return;
      const { records, next: after } = await log.read(cursor, MAX_BATCH_RECORDS, MAX_BATCH_BYTES);
      if (records.length === 0) {
        await log.waitForAppend(cursor.offset, signal);
        continue;
      }

      let handledAll = true;
      try {
        for (const { run, within } of handlerRuns(owner, records.map((r) => this.consumedEvent(r)))) {
          // Stopping, or the partition moved to another member: hand over at a run boundary.
          if (signal.aborted || this.o.owner() !== owner) {
            handledAll = false;
            break;
          }
          next = await this.handleAndCommit(owner, run, within);
          failures = 0;
        }
      } catch (err) {
        failures += 1;
        handledAll = false;
        const delayMs = Math.min(this.o.redelivery.initialDelayMs * 2 ** (failures - 1), this.o.redelivery.maxDelayMs);
        this.o.logger.warn(
          { err, groupId: this.o.groupId, topic, partition, offset: String(next), attempt: failures, retryInMs: delayMs },
          'event handler failed; events will be redelivered',
        );
        await sleep(delayMs, undefined, { signal }).catch(() => undefined);
      }
      cursor = handledAll ? after : await log.locate(next);
    }
  }

  /** Handles one run and commits past it; returns the next offset to deliver. */
  private async handleAndCommit(owner: Subscription, run: readonly ConsumedEvent[], within: <T>(handle: () => Promise<T>) => Promise<T>): Promise<number> {
    const ctx: BatchContext = { groupId: this.o.groupId, topic: this.o.topic, partition: this.o.partition, heartbeat: async () => undefined };
    const nextOffset = Number(run[run.length - 1]!.offset) + 1;
    const done = (async () => {
      await within(async () => owner.handleBatch(run, ctx));
      await this.o.offsets.commit(this.o.topic, this.o.partition, nextOffset);
    })();
    this.delivery = { owner, done };
    try {
      await done;
    } finally {
      this.delivery = undefined;
    }
    return nextOffset;
  }

  private consumedEvent(record: StoredRecord): ConsumedEvent {
    return {
      topic: this.o.topic,
      partition: this.o.partition,
      key: record.key,
      value: record.value,
      headers: record.headers,
      offset: String(record.offset),
      timestamp: record.timestamp,
    };
  }
}
