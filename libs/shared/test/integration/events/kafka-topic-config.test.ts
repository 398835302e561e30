// TopicSpec settings reach the Kafka topic: retention and cleanup policy (a compacted topic
// keeps the latest event per key for good, as aegis.tenants.v1 needs).
// kafkajs is CommonJS: its enums are on the default export, not ESM named exports.
import kafkajs from 'kafkajs';
import { pino } from 'pino';
import { createEventBus } from '../../../src/events/create-event-bus.js';
import type { EventBus } from '../../../src/events/ports.js';
import { deleteKafkaTopics, requireKafka, uniqueKafkaName } from '../../../src/testing/kafka.js';

const logger = pino({ level: 'error' });

describe('Kafka ensureTopics', () => {
  let brokers: string[];
  let bus: EventBus;
  const compacted = uniqueKafkaName('topic-config-compact');
  const plain = uniqueKafkaName('topic-config-delete');

  beforeAll(async () => {
    brokers = await requireKafka();
    bus = await createEventBus({ kafkaBrokers: brokers, clientId: 'topic-config-test', dataDir: '', logger });
  });
  afterAll(async () => {
    await bus?.close();
    if (brokers !== undefined) await deleteKafkaTopics(brokers, [compacted, plain]);
  });

  async function config(topic: string): Promise<Record<string, string>> {
    const admin = new kafkajs.Kafka({ clientId: 'topic-config-test', brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy', 'retention.ms'] }],
      });
      return Object.fromEntries((resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
    } finally {
      await admin.disconnect();
    }
  }

  test('cleanupPolicy compact and retentionMs are set on the created topic; without them the broker defaults apply', async () => {
    await bus.ensureTopics([
      { topic: compacted, partitions: 1, cleanupPolicy: 'compact', retentionMs: 3_600_000 },
      { topic: plain, partitions: 1 },
    ]);
    expect(await config(compacted)).toEqual({ 'cleanup.policy': 'compact', 'retention.ms': '3600000' });
    expect((await config(plain))['cleanup.policy']).toBe('delete');
  });
});
