// `aegis audit verify` in process: reading a real Kafka topic, and files (JSON lines and
// size-delimited binary) with tampered copies. Exit codes as docs/events.md lists them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clone } from '@bufbuild/protobuf';
import { sizeDelimitedEncode } from '@bufbuild/protobuf/wire';
import { EventSchema, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { createEvent, createEventBus, EventPublisher, eventToJson, TOPICS, type EventBus } from '@aegis/shared';
import { generateSigningKey, type AuditSigningKey } from '@aegis/shared/audit-integrity';
import { deleteKafkaTopics, requireKafka, uniqueKafkaName } from '@aegis/shared/testing';
import { pino } from 'pino';
import { runCli } from '../../src/cli.js';
import { EXIT, type CliIO } from '../../src/command.js';

function capture(env: Record<string, string> = {}): CliIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env, cwd: '/', out: () => out, err: () => err };
}

const auditEvent = (n: number): Event => createEvent({ source: 'auth', tenantId: 'acme', action: 'api_key.created', payload: { case: 'audit', value: { message: `key ${n} created` } } });
const seq = (e: Event) => (e.payload.case === 'audit' ? e.payload.value.integrity?.sequence : undefined);

let brokers: string[];
let key: AuditSigningKey;
let dir: string;
const topic = uniqueKafkaName('audit-verify-cli');
const published: Event[] = [];

beforeAll(async () => {
  brokers = await requireKafka();
  key = generateSigningKey().key;
  dir = await mkdtemp(join(tmpdir(), 'aegis-audit-verify-'));
  await writeFile(join(dir, 'keys.pub'), `# audit producers\n${key.publicKeyBase64}\n`);
  const bus = await createEventBus({ kafkaBrokers: brokers, clientId: 'audit-verify-cli', dataDir: '', logger: pino({ level: 'error' }) });
  await bus.ensureTopics([{ topic, partitions: 2 }]);
  const renamed: EventBus = { ...bus, producer: () => {
    const p = bus.producer();
    return { publish: (m) => { const list = (Array.isArray(m) ? m : [m]).map((x) => ({ ...x, topic: x.topic === TOPICS.audit ? topic : x.topic })); return p.publish(list); }, close: () => p.close() };
  }, subscribe: (s) => bus.subscribe(s), ensureTopics: (t) => bus.ensureTopics(t), ping: () => bus.ping(), close: () => bus.close() };
  const publisher = new EventPublisher(renamed, { signingKey: key, checkpointEvery: 3 });
  for (let i = 1; i <= 7; i++) {
    const e = auditEvent(i);
    await publisher.publish(e);
    published.push(e);
  }
  await publisher.close();
  await bus.close();
}, 60_000);
afterAll(async () => {
  await deleteKafkaTopics(brokers, [topic]);
  await rm(dir, { recursive: true, force: true });
});

test('reads the topic from Kafka and verifies it (--json)', async () => {
  const io = capture({ AEGIS_AUDIT_PUBLIC_KEYS: key.publicKeyBase64 });
  expect(await runCli(['audit', 'verify', '--brokers', brokers.join(','), '--topic', topic, '--from-beginning', '--json'], io)).toBe(EXIT.ok);
  const report = JSON.parse(io.out());
  expect(report).toMatchObject({ ok: true, events: 7, checkpoints: 3, unverifiedTail: 0 });
}, 60_000);

test('a checkpoint signed by an untrusted key fails; no keys at all is invalid input', async () => {
  const untrusted = capture({ AEGIS_AUDIT_PUBLIC_KEYS: generateSigningKey().key.publicKeyBase64 });
  expect(await runCli(['audit', 'verify', '--brokers', brokers.join(','), '--topic', topic], untrusted)).toBe(EXIT.failed);
  expect(untrusted.out()).toMatch(/bad_checkpoint: .*not trusted/);
  const none = capture();
  expect(await runCli(['audit', 'verify', '--brokers', brokers.join(','), '--topic', topic], none)).toBe(EXIT.invalidInput);
}, 60_000);

test('files: an untouched JSON-lines copy verifies; swapped, dropped and altered copies fail', async () => {
  // What a consumer stored: the events (stamped by publish) in order; checkpoints left out.
  const keysFile = join(dir, 'keys.pub');
  const run = async (events: Event[], name: string) => {
    const file = join(dir, name);
    await writeFile(file, events.map((e) => JSON.stringify(eventToJson(e))).join('\n'));
    const io = capture();
    return { code: await runCli(['audit', 'verify', '--file', file, '--keys', keysFile], io), out: io.out() };
  };
  const ok = await run(published, 'ok.jsonl');
  expect(ok.code).toBe(EXIT.ok);
  expect(ok.out).toMatch(/unverified tail 7 event/); // no checkpoints in this copy: nothing is signed

  const swapped = [published[0]!, published[2]!, published[1]!, ...published.slice(3)];
  expect(await run(swapped, 'swapped.jsonl')).toMatchObject({ code: EXIT.failed, out: expect.stringMatching(/reordered: .*sequence 2 came after sequence 3/) });
  const dropped = published.filter((e) => seq(e) !== 4n);
  expect(await run(dropped, 'dropped.jsonl')).toMatchObject({ code: EXIT.failed, out: expect.stringMatching(/missing: .*sequence 4 missing/) });
  const altered = published.map((e) => clone(EventSchema, e));
  if (altered[4]!.payload.case === 'audit') altered[4]!.payload.value.message = 'edited';
  expect(await run(altered, 'altered.jsonl')).toMatchObject({ code: EXIT.failed, out: expect.stringMatching(/altered: .*sequence 5/) });
});

test('files: size-delimited binary; a flipped byte is caught', async () => {
  const keysFile = join(dir, 'keys.pub');
  const bin = Buffer.concat(published.map((e) => Buffer.from(sizeDelimitedEncode(EventSchema, e))));
  const good = join(dir, 'events.bin');
  await writeFile(good, bin);
  expect(await runCli(['audit', 'verify', '--file', good, '--keys', keysFile], capture())).toBe(EXIT.ok);
  // Flip a byte inside the third event's message text.
  const text = Buffer.from('key 3 created');
  const at = bin.indexOf(text);
  expect(at).toBeGreaterThan(0);
  const flipped = Buffer.from(bin);
  flipped[at + 4] = 'X'.charCodeAt(0);
  const bad = join(dir, 'flipped.bin');
  await writeFile(bad, flipped);
  const io = capture();
  expect(await runCli(['audit', 'verify', '--file', bad, '--keys', keysFile, '--json'], io)).toBe(EXIT.failed);
  expect(JSON.parse(io.out()).issues).toEqual([expect.objectContaining({ kind: 'altered', sequence: 3 })]);
});
