// examples/audit-subscriber (docs/audit.md) run as its own process against real Kafka: events a
// real EventPublisher put on a topic of this run come out as canonical JSON lines, a
// redelivered message once, and a message that is not an Event does not stop the stream.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createEventBus, createLogger, encodeEvent, EventPublisher, eventFromJson, TOPICS, type EventBus } from '@aegis/shared';
import { generateSigningKey } from '@aegis/shared/audit-integrity';
import { deleteKafkaTopics, requireKafka, uniqueKafkaName } from '@aegis/shared/testing';
import { auditEvent } from './service/audit-events.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const topic = uniqueKafkaName('aegis.audit.v1-subscriber-example');
let brokers: string[];
let bus: EventBus;
let child: ChildProcess | undefined;

beforeAll(async () => {
  brokers = await requireKafka();
  bus = await createEventBus({ kafkaBrokers: brokers, clientId: 'audit-subscriber-example-test', dataDir: '', logger: createLogger({ service: 'audit-subscriber-example-test', level: 'silent' }) });
  await bus.ensureTopics([{ topic, partitions: 2 }]);
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await bus?.close();
  await deleteKafkaTopics(brokers, [topic]).catch(() => undefined);
});

test('prints each audit event once, as canonical JSON, and survives a message that is not an Event', async () => {
  const producer = bus.producer();
  const renamed = { ...bus, producer: () => ({ publish: (m: Parameters<typeof producer.publish>[0]) => producer.publish((Array.isArray(m) ? m : [m]).map((x) => ({ ...x, topic: x.topic === TOPICS.audit ? topic : x.topic }))), close: async () => {} }) } as EventBus;
  const publisher = new EventPublisher(renamed, { signingKey: generateSigningKey().key, checkpointEvery: 1000, checkpointIntervalMs: 3_600_000 });
  const events = [auditEvent({ tenantId: 'acme', userId: 'u-1' }), auditEvent({ tenantId: 'acme', userId: 'u-2', action: 'api_key.revoked' }), auditEvent({ tenantId: 'globex' })];
  await publisher.publish(events[0]!);
  await producer.publish({ topic, key: 'acme', value: new Uint8Array([0xff, 0xff, 0xff]) });
  await producer.publish({ topic, key: 'acme', value: encodeEvent(events[0]!) }); // a redelivery
  await publisher.publish(events[1]!, events[2]!);

  child = spawn(process.execPath, ['--import', 'tsx', 'examples/audit-subscriber/subscriber.ts'], {
    cwd: REPO,
    env: { ...process.env, KAFKA_BROKERS: brokers.join(','), AEGIS_AUDIT_TOPIC: topic, GROUP_ID: uniqueKafkaName('audit-subscriber-example') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const lines = (): string[] => stdout.split('\n').filter((l) => l.trim() !== '');
  const deadline = Date.now() + 60_000;
  while (lines().length < 3 || !stderr.includes('not an Event')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the subscriber printed ${lines().length} lines; stderr: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // A moment for anything extra (a duplicate would come right behind).
  await new Promise((resolve) => setTimeout(resolve, 500));
  const printed = lines().map((line) => eventFromJson(line));
  expect(printed.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
  // Per key, in publish order.
  expect(printed.filter((e) => e.tenantId === 'acme').map((e) => e.id)).toEqual([events[0]!.id, events[1]!.id]);
  const revoked = printed.find((e) => e.id === events[1]!.id)!;
  expect(revoked.payload.case === 'audit' && revoked.payload.value.integrity?.sequence).toBe(2n);
  child.kill('SIGTERM');
}, 90_000);
