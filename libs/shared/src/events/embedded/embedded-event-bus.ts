// The event bus without a broker: an append-only log on local disk with Kafka's semantics
// (keyed partitions, consumer groups, committed offsets, at-least-once). One process at a time.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { EventBus, EventProducer, Subscription, SubscriptionHandle, TopicSpec } from '../ports.js';
import { CommittedOffsets } from './committed-offsets.js';
import { EmbeddedConsumerGroup } from './consumer-group.js';
import { lockDataDir } from './data-dir-lock.js';
import { EmbeddedEventProducer } from './embedded-producer.js';
import { LogDirectory, OFFSETS_DIR } from './log-directory.js';
import type { Redelivery } from './partition-worker.js';

export interface EmbeddedEventBusOptions {
  /** The log lives in `<dataDir>/events`. */
  dataDir: string;
  logger: Logger;
  /** Backoff before a failed batch is delivered again: doubles from initial up to max. */
  redelivery?: Partial<Redelivery>;
}

const DEFAULT_REDELIVERY: Redelivery = { initialDelayMs: 100, maxDelayMs: 5_000 };

export class EmbeddedEventBus implements EventBus {
  private readonly groups = new Map<string, Promise<EmbeddedConsumerGroup>>();
  private readonly producers = new Set<EventProducer>();
  private readonly subscriptions = new Set<SubscriptionHandle>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly root: string,
    private readonly logs: LogDirectory,
    private readonly redelivery: Redelivery,
    private readonly logger: Logger,
    private readonly unlock: () => Promise<void>,
  ) {}

  /** Opens the log under `dataDir`, failing if another bus (in any process) has it open. */
  static async open(opts: EmbeddedEventBusOptions): Promise<EmbeddedEventBus> {
    const root = join(opts.dataDir, 'events');
    await mkdir(root, { recursive: true });
    const unlock = await lockDataDir(root);
    const redelivery = { ...DEFAULT_REDELIVERY, ...opts.redelivery };
    return new EmbeddedEventBus(root, new LogDirectory(root, opts.logger), redelivery, opts.logger, unlock);
  }

  producer(): EventProducer {
    this.checkOpen();
    const producer = new EmbeddedEventProducer(this.logs, () => this.producers.delete(producer));
    this.producers.add(producer);
    return producer;
  }

  async subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    this.checkOpen();
    if (subscription.topics.length === 0) throw new Error('a subscription needs at least one topic');
    const group = await this.group(subscription.groupId);
    // A member of its own, so subscribing the same object twice makes two members.
    const member: Subscription = { ...subscription, topics: [...subscription.topics] };
    await group.join(member);

    let stopped: Promise<void> | undefined;
    const handle: SubscriptionHandle = {
      stop: () =>
        (stopped ??= (async () => {
          this.subscriptions.delete(handle);
          await group.leave(member);
        })()),
    };
    this.subscriptions.add(handle);
    return handle;
  }

  async ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    this.checkOpen();
    for (const spec of topics) await this.logs.ensure(spec);
  }

  async ping(): Promise<void> {
    this.checkOpen();
  }

  close(): Promise<void> {
    return (this.closing ??= (async () => {
      await Promise.all([...this.subscriptions].map((s) => s.stop()));
      await Promise.all([...this.producers].map((p) => p.close()));
      const groups = await Promise.allSettled(this.groups.values());
      await Promise.all(groups.map((g) => (g.status === 'fulfilled' ? g.value.close() : undefined)));
      await this.logs.close();
      await this.unlock();
    })());
  }

  private group(groupId: string): Promise<EmbeddedConsumerGroup> {
    let group = this.groups.get(groupId);
    if (!group) {
      group = CommittedOffsets.load(join(this.root, OFFSETS_DIR), groupId).then(
        (offsets) => new EmbeddedConsumerGroup(groupId, offsets, this.logs, this.redelivery, this.logger),
      );
      this.groups.set(groupId, group);
      group.catch(() => this.groups.delete(groupId));
    }
    return group;
  }

  private checkOpen(): void {
    if (this.closing) throw new Error('event bus is closed');
  }
}
