// Kafka -> ledger ingest rate of the billing consumer, beside a raw kafkajs consumer group
// reading the same topic in the same run (the ceiling: fetch and decode nothing, write nothing).
// Goal (issue 7): billing >= 0.5 of raw. Needs Kafka (KAFKA_BROKERS or 127.0.0.1:9092) and
// Postgres (AEGIS_TEST_DATABASE_URL or the local server): the ledger writes to a fresh database.
// Besides events/s it reports CPU per event (this process for both consumers; the ledger's
// Postgres backends, read from /proc when the server runs on this machine): on a small shared
// machine wall-clock rates move with other load, CPU per event much less.
// Run: npx tsx bench/billing-ingest.ts [--events=100000 --batch-size=5000 --concurrency=4]
import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { createDatabase, createEventBus, createLogger, deadLetterTopic, migrate } from '@aegis/shared';
import { createTestDatabase, deleteKafkaTopics, requireKafka, uniqueKafkaName } from '@aegis/shared/testing';
import { PriceStore } from '../services/billing/src/prices/price-store.js';
import { MIGRATIONS_DIR, startStandaloneLedger } from '../services/billing/src/usage/standalone-ledger.js';
import { insertOddPrice, ledgerTotals, usageWorkload } from '../services/billing/test/support/usage-workload.js';
import { ownCpuUsageUs, readSettings, writeResult } from './lib/index.js';

/** CPU (user + system, µs) a local process has used, from /proc; undefined if not readable. */
function processCpuUs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100; // clock ticks at USER_HZ 100
  } catch {
    return undefined;
  }
}

const settings = readSettings({ events: 100_000, batchSize: 5000, concurrency: 4, partitions: 6 });
const logger = createLogger({ service: 'billing-ingest-bench', level: 'warn' });
const brokers = await requireKafka();
const topic = uniqueKafkaName('billing-ingest-bench');
const tenantId = 'bench-ingest';
const testDb = await createTestDatabase({ schema: 'billing' });
try {
  // The topic, filled before either consumer starts, so both read the same backlog.
  const bus = await createEventBus({ kafkaBrokers: brokers, clientId: 'billing-ingest-bench', dataDir: '/tmp', logger });
  await bus.ensureTopics([{ topic, partitions: settings.partitions }]);
  const producer = bus.producer();
  let reference;
  for (const chunk of usageWorkload(settings.events, tenantId, topic)) {
    await producer.publish(chunk.messages);
    reference = chunk.reference;
  }
  await producer.close();
  await bus.close();
  console.log(`billing-ingest: ${settings.events} usage events on ${topic} (${settings.partitions} partitions)`);

  // 1. Raw kafkajs: a consumer group that only counts messages.
  const kafka = new Kafka({ clientId: 'billing-ingest-raw', brokers, logLevel: logLevel.NOTHING });
  const raw = kafka.consumer({ groupId: `${topic}-raw` });
  await raw.connect();
  await raw.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let rawStart = 0;
  const rawCpuStart = ownCpuUsageUs();
  const rawDone = new Promise<number>((resolve) => {
    void raw.run({
      eachBatch: async ({ batch }) => {
        if (rawStart === 0) rawStart = performance.now();
        seen += batch.messages.length;
        if (seen >= settings.events) resolve(performance.now());
      },
    });
  });
  const rawEnd = await rawDone;
  const rawCpuPerEvent = (ownCpuUsageUs() - rawCpuStart) / settings.events;
  await raw.disconnect();
  const rawRate = settings.events / ((rawEnd - rawStart) / 1000);
  console.log(`  raw kafkajs consumer: ${Math.round(rawRate)} events/s (${rawCpuPerEvent.toFixed(1)} µs CPU/event)`);

  // 2. The billing ledger consumer (the service's writer and consumer), into Postgres.
  const seedDb = await createDatabase({ url: testDb.url!, schema: 'billing', logger });
  await migrate(seedDb, { migrationsDir: MIGRATIONS_DIR, logger });
  await new PriceStore(seedDb).seedCatalogue('default', 'USD');
  await insertOddPrice(seedDb, tenantId);
  let booked = 0;
  let ledgerStart = 0;
  let ledgerEnd = 0;
  const ledgerCpuStart = ownCpuUsageUs();
  const ledger = await startStandaloneLedger({
    databaseUrl: testDb.url!, kafkaBrokers: brokers, dataDir: '/tmp', topic, groupId: `${topic}-ledger`, batchSize: settings.batchSize,
    partitionsConcurrently: settings.concurrency, logger,
    onBooked: (count) => {
      if (ledgerStart === 0) ledgerStart = performance.now();
      booked += count;
      if (booked >= settings.events && ledgerEnd === 0) ledgerEnd = performance.now();
    },
  });
  while (ledgerEnd === 0) await new Promise((resolve) => setTimeout(resolve, 50));
  const ledgerCpuPerEvent = (ownCpuUsageUs() - ledgerCpuStart) / settings.events;
  // The ledger pool's backends (a fresh database: only this run's connections), since they started.
  const backends = await seedDb.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  const backendCpu = backends.rows.map((row) => processCpuUs(Number(row.pid)));
  const postgresCpuPerEvent = backendCpu.every((us) => us !== undefined) ? backendCpu.reduce((a, b) => a! + b!, 0)! / settings.events : undefined;
  await ledger.stop();
  const totals = await ledgerTotals(seedDb, tenantId);
  await seedDb.close();
  if (totals.costNanos !== reference!.costNanos || totals.events !== BigInt(settings.events)) throw new Error('ledger totals differ from the reference');
  // Measured from the first booked batch, as the raw rate is from the first fetched batch.
  const ledgerRate = settings.events / ((ledgerEnd - ledgerStart) / 1000);
  const ratio = ledgerRate / rawRate;
  console.log(`  billing ledger consumer: ${Math.round(ledgerRate)} events/s (totals equal the BigInt reference)`);
  console.log(`    CPU per event: ${ledgerCpuPerEvent.toFixed(1)} µs in this process, ${postgresCpuPerEvent === undefined ? 'n/a' : postgresCpuPerEvent.toFixed(1)} µs in its Postgres backends`);
  console.log(`  ratio ${ratio.toFixed(3)} (goal >= 0.5)`);
  const path = writeResult('billing-ingest', {
    events: settings.events, partitions: settings.partitions, batchSize: settings.batchSize, concurrency: settings.concurrency,
    rawKafkajsEventsPerSec: Math.round(rawRate), ledgerEventsPerSec: Math.round(ledgerRate), ratio: Number(ratio.toFixed(3)), goal: 0.5, exact: true,
    cpuMicrosPerEvent: {
      rawKafkajs: Number(rawCpuPerEvent.toFixed(1)),
      ledgerProcess: Number(ledgerCpuPerEvent.toFixed(1)),
      ledgerPostgresBackends: postgresCpuPerEvent === undefined ? null : Number(postgresCpuPerEvent.toFixed(1)),
    },
  });
  console.log(`wrote ${path}`);
} finally {
  await deleteKafkaTopics(brokers, [topic, deadLetterTopic(topic)]).catch(() => undefined);
  await testDb.close();
}
