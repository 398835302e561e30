// A minimal subscriber of the Aegis audit stream (docs/audit.md): reads aegis.audit.v1 with its
// own consumer group, decodes each message as an aegis.events.v1.Event, skips ids it has seen
// (delivery is at least once), and prints one canonical-JSON line per event on stdout. A SIEM
// bridge would forward the line instead of printing it.
//
//   KAFKA_BROKERS=127.0.0.1:9092 npx tsx examples/audit-subscriber/subscriber.ts
//
// Outside this repository, generate the types from proto/aegis (buf generate with protoc-gen-es)
// and import them from there instead of @aegis/proto.
import { fromBinary, toJsonString } from '@bufbuild/protobuf';
import { Kafka, logLevel } from 'kafkajs';
import { EventSchema } from '@aegis/proto/aegis/events/v1/event_pb.js';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const topic = process.env.AEGIS_AUDIT_TOPIC ?? 'aegis.audit.v1';
const groupId = process.env.GROUP_ID ?? 'audit-subscriber-example';

const kafka = new Kafka({ clientId: groupId, brokers, logLevel: logLevel.WARN });
const consumer = kafka.consumer({ groupId });
// Dedupe by event id. In-memory is enough for an example; a real bridge keeps the ids it has
// forwarded (or relies on an idempotent destination) so a restart does not repeat them.
const seen = new Set<string>();

await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  // The offset is committed after this returns: a crash before that redelivers the message.
  eachMessage: async ({ partition, message }) => {
    let event;
    try {
      event = fromBinary(EventSchema, message.value ?? new Uint8Array());
    } catch (err) {
      // Never block the partition on a message that will never decode: report it and move on.
      console.error(`partition ${partition} offset ${message.offset}: not an Event (${(err as Error).message})`);
      return;
    }
    if (event.id === '' || seen.has(event.id)) return;
    seen.add(event.id);
    console.log(toJsonString(EventSchema, event));
  },
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void consumer.disconnect().then(() => process.exit(0)));
}
