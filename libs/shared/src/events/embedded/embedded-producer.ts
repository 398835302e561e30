import type { EventMessage, EventProducer } from '../ports.js';
import { partitionForKey } from '../partitioner.js';
import { headersWithTraceContext } from '../trace-context.js';
import type { LogDirectory } from './log-directory.js';
import type { LogRecord } from './record-codec.js';
import type { PartitionLog } from './partition-log.js';

export class EmbeddedEventProducer implements EventProducer {
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly logs: LogDirectory,
    private readonly onClosed: () => void = () => undefined,
  ) {}

  async publish(messages: EventMessage | readonly EventMessage[]): Promise<void> {
    if (this.closed) throw new Error('event producer is closed');
    const list = (Array.isArray(messages) ? messages : [messages]) as readonly EventMessage[];
    const publishing = this.append(list);
    this.inFlight.add(publishing);
    try {
      await publishing;
    } finally {
      this.inFlight.delete(publishing);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.inFlight);
    this.onClosed();
  }

  private async append(messages: readonly EventMessage[]): Promise<void> {
    // One append per partition, in call order: one write and one fsync however many events.
    const byPartition = new Map<PartitionLog, LogRecord[]>();
    const timestamp = Date.now();
    for (const m of messages) {
      const topic = await this.logs.topic(m.topic);
      const log = topic.partitions[partitionForKey(m.key, topic.partitions.length)]!;
      const record: LogRecord = { timestamp, key: m.key, headers: headersWithTraceContext(m.headers), value: m.value };
      const records = byPartition.get(log);
      if (records) records.push(record);
      else byPartition.set(log, [record]);
    }
    await Promise.all([...byPartition].map(([log, records]) => log.append(records)));
  }
}
