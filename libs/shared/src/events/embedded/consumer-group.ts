// A consumer group of the embedded bus. All members live in this process, so there is no
// rebalance protocol: a partition's owner is recomputed before each run of events, and
// partition p of a topic belongs to the (p mod n)-th of the n members subscribed to it,
// in joining order.

import type { Logger } from 'pino';
import type { Subscription } from '../ports.js';
import type { CommittedOffsets } from './committed-offsets.js';
import type { LogDirectory } from './log-directory.js';
import { PartitionWorker, type Redelivery } from './partition-worker.js';

export class EmbeddedConsumerGroup {
  private readonly members: Subscription[] = [];
  private readonly workers = new Map<string, { topic: string; worker: PartitionWorker }>();

  constructor(
    readonly groupId: string,
    private readonly offsets: CommittedOffsets,
    private readonly logs: LogDirectory,
    private readonly redelivery: Redelivery,
    private readonly logger: Logger,
  ) {}

  /** Waits for commits still being written; call once every member has left. */
  async close(): Promise<void> {
    await this.offsets.close();
  }

  async join(member: Subscription): Promise<void> {
    // Opening the topics first makes an unknown topic fail the subscribe, as on Kafka.
    const topics = await Promise.all(member.topics.map((t) => this.logs.topic(t)));
    this.members.push(member);
    for (const topic of topics) {
      topic.partitions.forEach((log, partition) => {
        const key = `${topic.name}/${partition}`;
        if (this.workers.has(key)) return;
        const worker = new PartitionWorker({
          groupId: this.groupId,
          topic: topic.name,
          partition,
          log,
          offsets: this.offsets,
          owner: () => this.ownerOf(topic.name, partition),
          redelivery: this.redelivery,
          logger: this.logger,
        });
        this.workers.set(key, { topic: topic.name, worker });
        worker.start(member.fromBeginning ?? false);
      });
    }
  }

  /** Removes the member once the runs it is handling are handled and committed. */
  async leave(member: Subscription): Promise<void> {
    const at = this.members.indexOf(member);
    if (at < 0) return;
    this.members.splice(at, 1);
    const waits: Promise<void>[] = [];
    for (const [key, { topic, worker }] of this.workers) {
      if (!member.topics.includes(topic)) continue;
      if (this.members.some((m) => m.topics.includes(topic))) {
        waits.push(worker.settle(member));
      } else {
        this.workers.delete(key);
        waits.push(worker.stop());
      }
    }
    await Promise.all(waits);
  }

  private ownerOf(topic: string, partition: number): Subscription | undefined {
    const subscribed = this.members.filter((m) => m.topics.includes(topic));
    return subscribed[partition % subscribed.length];
  }
}
