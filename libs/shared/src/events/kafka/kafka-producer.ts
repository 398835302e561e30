import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { EventMessage, EventProducer } from '../ports.js';
import { headersWithTraceContext } from '../trace-context.js';

/** One kafkajs producer and the sends it has in flight. */
interface ProducerSlot {
  producer: Producer;
  connected: Promise<void>;
  inFlight: Set<Promise<unknown>>;
}

/**
 * Idempotent, acks=all publishing. kafkajs's idempotent producer numbers its batches, and
 * after a send that exhausted its retries it may reuse a number the broker already stored,
 * which the broker would then acknowledge without storing the new batch. So after any failed
 * publish the kafkajs producer is retired and the next publish gets a new one, with a new
 * producer id and fresh sequence numbers.
 */
export class KafkaEventProducer implements EventProducer {
  private current: ProducerSlot | undefined;
  private readonly retiring = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly logger: Logger,
    private readonly onClosed: () => void = () => undefined,
  ) {}

  async publish(messages: EventMessage | readonly EventMessage[]): Promise<void> {
    if (this.closed) throw new Error('event producer is closed');
    const list = (Array.isArray(messages) ? messages : [messages]) as readonly EventMessage[];
    if (list.length === 0) return;

    const byTopic = new Map<string, Message[]>();
    for (const m of list) {
      const message: Message = {
        key: m.key,
        value: Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength),
        headers: headersWithTraceContext(m.headers),
      };
      const forTopic = byTopic.get(m.topic);
      if (forTopic) forTopic.push(message);
      else byTopic.set(m.topic, [message]);
    }

    const slot = this.slot();
    const send = slot.connected.then(() =>
      slot.producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, topicMessages]) => ({ topic, messages: topicMessages })),
      }),
    );
    slot.inFlight.add(send);
    try {
      await send;
    } catch (err) {
      this.retire(slot);
      throw err;
    } finally {
      slot.inFlight.delete(send);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.current) this.retire(this.current);
    await Promise.all(this.retiring);
    this.onClosed();
  }

  private slot(): ProducerSlot {
    if (this.current) return this.current;
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Passing the partitioner explicitly is also what silences kafkajs's v2 migration warning.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const slot: ProducerSlot = { producer, connected: producer.connect(), inFlight: new Set() };
    // A failed connect fails the publishes waiting on it, which retire the slot.
    slot.connected.catch(() => undefined);
    this.current = slot;
    return slot;
  }

  /** Stops using the slot for new publishes; disconnects once its sends have settled. */
  private retire(slot: ProducerSlot): void {
    if (this.current !== slot) return;
    this.current = undefined;
    const done = Promise.allSettled([...slot.inFlight])
      .then(() => slot.producer.disconnect())
      .catch((err: unknown) => this.logger.warn({ err }, 'event producer: disconnect failed'))
      .finally(() => this.retiring.delete(done));
    this.retiring.add(done);
  }
}
