// Waits until a Kafka broker is usable the way our services use it: a topic can be created,
// a message produced with acks=all and consumed back through a consumer group. An open
// port is not enough: a KRaft broker listens well before it has a leader for
// __consumer_offsets, and tests started then fail with coordinator errors.
//
//   node scripts/kafka/wait-ready.mjs [--brokers 127.0.0.1:9092] [--timeout-ms 90000] [--once]
//
// Exits 0 after one successful round trip, 1 with the last error once the time is up.
// --once makes a single attempt: "is it up now?", not "wait until it is".
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

const PROBE_TOPIC = 'aegis.backends.ready-probe';
const RETRY_PAUSE_MS = 1000;

const { values: args } = parseArgs({
  options: {
    brokers: { type: 'string', default: '127.0.0.1:9092' },
    'timeout-ms': { type: 'string', default: '90000' },
    quiet: { type: 'boolean', default: false },
    once: { type: 'boolean', default: false },
  },
});
const brokers = args.brokers.split(',');
const timeoutMs = Number(args['timeout-ms']);

let kafkajs;
try {
  kafkajs = (await import('kafkajs')).default;
} catch (cause) {
  console.error(`kafka probe: cannot load kafkajs (run \`npm ci\` at the repository root): ${cause.message}`);
  process.exit(1);
}
const { Kafka, logLevel } = kafkajs;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function withDeadline(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function ensureProbeTopic(admin) {
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{
        topic: PROBE_TOPIC,
        numPartitions: 1,
        replicationFactor: 1,
        // Every probe leaves one small message; keep the topic from growing for ever.
        configEntries: [
          { name: 'retention.ms', value: String(60 * 60 * 1000) },
          { name: 'segment.ms', value: String(10 * 60 * 1000) },
        ],
      }],
    });
  } catch (error) {
    // Another probe running at the same moment may have created it first.
    const exists = error?.errors?.every?.((e) => e.type === 'TOPIC_ALREADY_EXISTS');
    if (!exists) throw error;
  }
}

async function roundTrip(kafka) {
  const nonce = randomUUID();
  const groupId = `aegis-ready-probe-${nonce}`;
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  try {
    await admin.connect();
    await ensureProbeTopic(admin);

    await producer.connect();
    await producer.send({ topic: PROBE_TOPIC, acks: -1, messages: [{ key: nonce, value: nonce }] });

    await consumer.connect();
    await consumer.subscribe({ topic: PROBE_TOPIC, fromBeginning: true });
    await new Promise((resolve, reject) => {
      consumer.on(consumer.events.CRASH, (event) => reject(event.payload.error));
      consumer.run({
        eachMessage: async ({ message }) => {
          if (message.value?.toString() === nonce) resolve();
        },
      }).catch(reject);
    });
  } finally {
    await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
    // One group per probe; remove it so the broker's group list stays readable.
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

const started = Date.now();
const deadline = started + timeoutMs;
let lastError;
for (let attempt = 1; Date.now() < deadline; attempt += 1) {
  const kafka = new Kafka({
    clientId: 'aegis-ready-probe',
    brokers,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
    logLevel: logLevel.NOTHING,
  });
  try {
    await withDeadline(roundTrip(kafka), Math.max(deadline - Date.now(), 1000), 'produce/consume round trip');
    if (!args.quiet) console.log(`kafka probe: round trip ok on ${brokers.join(',')} after ${Date.now() - started} ms (${attempt} attempt(s))`);
    process.exit(0);
  } catch (error) {
    lastError = error;
    if (args.once) break;
    const left = deadline - Date.now();
    if (left > 0) await sleep(Math.min(RETRY_PAUSE_MS, left));
  }
}
const within = args.once ? 'in one attempt' : `within ${timeoutMs} ms`;
console.error(`kafka probe: no produce/consume round trip on ${brokers.join(',')} ${within}: ${lastError?.message ?? lastError}`);
process.exit(1);
