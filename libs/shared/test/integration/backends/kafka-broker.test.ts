// Proves the broker from scripts/kafka/start.sh (Apache Kafka 3.9, KRaft) works with the
// client our event bus uses: kafkajs 2.2 speaks protocol versions Kafka 4 no longer serves.
// Checks what the event bus relies on: explicit partitions, idempotent acks=all produce,
// consumer groups, and per-key order across partitions.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';

const BROKER = '127.0.0.1:9092';
const KEYS = Array.from({ length: 12 }, (_, i) => `tenant-${i}`);
const MESSAGES_PER_KEY = 8;
const EXPECTED = KEYS.length * MESSAGES_PER_KEY;

interface Received {
  key: string;
  seq: number;
  partition: number;
  value: string;
}

const suffix = randomUUID().slice(0, 8);
const topic = `aegis.test.kafka-broker.${suffix}`;
const groupId = `aegis-test-kafka-broker-${suffix}`;

const kafka = new Kafka({
  clientId: 'aegis-kafka-broker-test',
  brokers: [BROKER],
  connectionTimeout: 3000,
  retry: { retries: 2, initialRetryTime: 200 },
  logLevel: logLevel.NOTHING,
});
let admin: Admin | undefined;
let producer: Producer | undefined;
let consumer: Consumer | undefined;

beforeAll(async () => {
  const candidate = kafka.admin();
  try {
    await candidate.connect();
  } catch (cause) {
    throw new Error(
      `Kafka is not reachable on ${BROKER}; run \`bash scripts/backends/up.sh\` first ` +
        `(${cause instanceof Error ? cause.message : String(cause)})`,
    );
  }
  admin = candidate;
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
});

afterAll(async () => {
  await consumer?.disconnect();
  await producer?.disconnect();
  if (admin) {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test('the topic has the 3 partitions it was created with, each led by our single node', async () => {
  const metadata = await admin!.fetchTopicMetadata({ topics: [topic] });
  const partitions = metadata.topics[0]!.partitions;
  expect(partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
  for (const p of partitions) expect(p.leader).toBe(1);
});

test('messages produced idempotently come back through a consumer group, complete and in per-key order', async () => {
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  // Interleave keys across sends, so per-key order is not just batch order.
  for (let seq = 0; seq < MESSAGES_PER_KEY; seq += 1) {
    const metadata = await producer.send({
      topic,
      acks: -1,
      messages: KEYS.map((key) => ({ key, value: JSON.stringify({ key, seq, body: `${key}#${seq}` }) })),
    });
    expect(metadata.every((m) => m.errorCode === 0)).toBe(true);
  }

  const received: Received[] = [];
  consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`consumed ${received.length} of ${EXPECTED} messages within 30 s`)),
      30_000,
    );
    consumer!.on(consumer!.events.CRASH, (event) => reject(event.payload.error));
    consumer!
      .run({
        eachMessage: async ({ partition, message }) => {
          const value = message.value!.toString();
          const { key, seq } = JSON.parse(value) as { key: string; seq: number };
          expect(message.key!.toString()).toBe(key);
          received.push({ key, seq, partition, value });
          if (received.length === EXPECTED) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });

  // Exactly once each, with the content that was sent.
  expect(received).toHaveLength(EXPECTED);
  const bodies = received.map((r) => (JSON.parse(r.value) as { body: string }).body).sort();
  const sent = KEYS.flatMap((key) => Array.from({ length: MESSAGES_PER_KEY }, (_, seq) => `${key}#${seq}`)).sort();
  expect(bodies).toEqual(sent);

  // One key, one partition, in order; and the keys really were spread over partitions.
  for (const key of KEYS) {
    const ofKey = received.filter((r) => r.key === key);
    expect(ofKey.map((r) => r.seq)).toEqual(Array.from({ length: MESSAGES_PER_KEY }, (_, i) => i));
    expect(new Set(ofKey.map((r) => r.partition)).size).toBe(1);
  }
  expect(new Set(received.map((r) => r.partition)).size).toBeGreaterThan(1);
});
