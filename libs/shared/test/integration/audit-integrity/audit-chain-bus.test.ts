// Audit events published through EventPublisher on the real bus (Kafka, and the embedded
// log), read back by a consumer, verified; then a tampered copy is verified again.
import { clone } from '@bufbuild/protobuf';
import { EventSchema, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { pino } from 'pino';
import { decodeEvent, generateSigningKey, verifyAuditLog, type AuditRecord } from '../../../src/audit-integrity/index.js';
import { TOPICS } from '../../../src/envelope/index.js';
import type { ConsumedEvent, EventBus } from '../../../src/events/ports.js';
import { EventPublisher } from '../../../src/runtime/event-publisher.js';
import { uniqueKafkaName } from '../../../src/testing/kafka.js';
import { waitUntil } from '../../unit/events/event-collector.js';
import { auditEvent, sequenceOf } from '../../unit/audit-integrity/audit-fixtures.js';
import { embeddedBackend, kafkaBackend } from '../events/bus-backends.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'error' });

/** The bus, with the audit topic renamed so this run shares nothing with others on the broker. */
function renamingAuditTopic(bus: EventBus, topic: string): EventBus {
  return {
    producer: () => {
      const producer = bus.producer();
      return {
        publish: (messages) => producer.publish((Array.isArray(messages) ? messages : [messages]).map((m) => (m.topic === TOPICS.audit ? { ...m, topic } : m))),
        close: () => producer.close(),
      };
    },
    subscribe: (s) => bus.subscribe(s),
    ensureTopics: (t) => bus.ensureTopics(t),
    ping: () => bus.ping(),
    close: () => bus.close(),
  };
}

describe.each([embeddedBackend(logger), kafkaBackend(logger)])('audit chains through the event bus: $name', (backend) => {
  const topic = uniqueKafkaName('audit-integrity');
  const { key } = generateSigningKey();
  const keys = new Map([[key.keyId, key.publicKey]]);
  let bus: EventBus;
  let read: AuditRecord[] = [];

  beforeAll(async () => {
    await backend.setUp();
    bus = await backend.open();
    await bus.ensureTopics([{ topic, partitions: 3 }]);
    const publisher = new EventPublisher(renamingAuditTopic(bus, topic), { signingKey: key, checkpointEvery: 4, checkpointIntervalMs: 60_000 });
    // Concurrent publishes, two tenants: the publisher must still put each chain in order.
    await Promise.all(Array.from({ length: 20 }, (_, i) => publisher.publish(auditEvent(i, i % 2 === 0 ? 'acme' : 'globex'))));
    await publisher.close(); // final checkpoints

    const consumed: ConsumedEvent[] = [];
    const handle = await bus.subscribe({ groupId: uniqueKafkaName('audit-verify'), topics: [topic], fromBeginning: true, handleBatch: async (batch) => void consumed.push(...batch) });
    // 20 events + checkpoints at 4, 8 and a final one at 10 per tenant.
    await waitUntil(() => consumed.length >= 26, 'every audit event and checkpoint', 30_000);
    await handle.stop();
    read = consumed.map((m) => ({ event: decodeEvent(m.value), position: `partition ${m.partition} offset ${m.offset}` }));
  }, 60_000);
  afterAll(async () => {
    await bus?.close();
    await backend.tearDown([topic]);
  });

  test('what was published verifies, every chain signed to its end', () => {
    const report = verifyAuditLog(read, keys);
    expect(report.issues).toEqual([]);
    expect(report).toMatchObject({ ok: true, events: 20, checkpoints: 6, unverifiedTail: 0 });
    expect(report.chains.map((c) => [c.tenantId, c.lastSequence, c.signedSequence]).sort()).toEqual([['acme', 10, 10], ['globex', 10, 10]]);
  });

  const events = (): Event[] => read.map((r) => ('event' in r ? clone(EventSchema, r.event) : undefined)).filter((e): e is Event => e !== undefined);
  const acmeIndex = (list: Event[], s: bigint) => list.findIndex((e) => e.tenantId === 'acme' && sequenceOf(e) === s);
  const verify = (list: Event[]) => verifyAuditLog(list.map((event, i) => ({ event, position: `record ${i + 1}` })), keys);

  test('a tampered copy: altered, dropped, swapped', () => {
    const altered = events();
    const target = altered[acmeIndex(altered, 3n)]!;
    if (target.payload.case === 'audit') target.payload.value.message = 'nothing to see';
    expect(verify(altered).issues.map((i) => [i.kind, i.tenantId, i.sequence])).toEqual([['altered', 'acme', 3]]);

    const dropped = events();
    dropped.splice(acmeIndex(dropped, 6n), 1);
    expect(verify(dropped).issues.map((i) => [i.kind, i.sequence])).toEqual([['missing', 6]]);

    const swapped = events();
    const a = acmeIndex(swapped, 7n);
    const b = acmeIndex(swapped, 8n);
    [swapped[a], swapped[b]] = [swapped[b]!, swapped[a]!];
    expect(verify(swapped).issues.map((i) => [i.kind, i.sequence])).toEqual([['reordered', 7]]);
  });
});
