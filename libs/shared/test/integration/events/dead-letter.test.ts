// The dead-letter helper on both buses: a refused message republished on `<topic>.dlq` keeps
// its key, bytes and headers, gains the aegis-dlq-* headers, and the consumer moves past it.
import { pino } from 'pino';
import { DEAD_LETTER_HEADERS, deadLetterOrigin, deadLetterTopic, deadLetterTopicSpec, publishDeadLetters } from '../../../src/events/dead-letter.js';
import type { EventBus, SubscriptionHandle } from '../../../src/events/ports.js';
import { uniqueKafkaName } from '../../../src/testing/kafka.js';
import { bytes, EventCollector, text } from '../../unit/events/event-collector.js';
import { embeddedBackend, kafkaBackend } from './bus-backends.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'error' });

describe.each([embeddedBackend(logger), kafkaBackend(logger)])('dead letters: $name', (backend) => {
  const topics: string[] = [];
  let bus: EventBus;
  const handles: SubscriptionHandle[] = [];

  beforeAll(async () => {
    await backend.setUp();
    bus = await backend.open();
  });
  afterAll(async () => {
    await Promise.all(handles.map((h) => h.stop()));
    await bus.close();
    await backend.tearDown(topics);
  });

  test('a poison message goes to <topic>.dlq whole, with why and where, and the partition moves on', async () => {
    const topic = uniqueKafkaName('dlq-source');
    topics.push(topic, deadLetterTopic(topic));
    await bus.ensureTopics([{ topic, partitions: 2 }, deadLetterTopicSpec({ topic, partitions: 2 })]);
    const producer = bus.producer();
    await producer.publish([
      { topic, key: 'tenant-a/u1', value: bytes('good-1') },
      { topic, key: 'tenant-a/u1', value: new Uint8Array([0xde, 0xad, 0x00, 0xbe, 0xef]), headers: { 'x-origin': 'fuzzer' } },
      { topic, key: 'tenant-a/u1', value: bytes('good-2') },
    ]);

    // A consumer that refuses what it cannot read: dead-letters it and carries on.
    const handled = new EventCollector();
    handles.push(await bus.subscribe({
      groupId: `${topic}-reader`, topics: [topic], fromBeginning: true,
      async handleBatch(events, ctx) {
        const poison = events.filter((e) => !text(e.value).startsWith('good-'));
        await publishDeadLetters(producer, poison.map((message) => ({ message, reason: 'not a usage event:\nbad bytes', groupId: ctx.groupId })));
        await handled.handleBatch(events.filter((e) => !poison.includes(e)), ctx);
      },
    }));
    expect(await handled.waitFor(2)).toEqual(['good-1', 'good-2']);

    const parked = new EventCollector();
    handles.push(await bus.subscribe({ groupId: `${topic}-dlq-reader`, topics: [deadLetterTopic(topic)], fromBeginning: true, handleBatch: parked.handleBatch }));
    await parked.waitFor(1);
    const [letter] = parked.events;
    expect(parked.events).toHaveLength(1);
    expect(letter!.key).toBe('tenant-a/u1');
    expect([...letter!.value]).toEqual([0xde, 0xad, 0x00, 0xbe, 0xef]);
    expect(letter!.headers['x-origin']).toBe('fuzzer');
    expect(letter!.headers[DEAD_LETTER_HEADERS.reason]).toBe('not a usage event: bad bytes');
    const origin = deadLetterOrigin(letter!.headers);
    expect(origin).toMatchObject({ topic, offset: '1', groupId: `${topic}-reader`, reason: 'not a usage event: bad bytes' });
    expect(origin!.partition).toBeGreaterThanOrEqual(0);
    expect(Number.isNaN(Date.parse(origin!.at))).toBe(false);
    await producer.close();
  }, 60_000);

  test('an ordinary message is not a dead letter', () => {
    expect(deadLetterOrigin({ traceparent: '00-abc' })).toBeUndefined();
  });
});
