// The exactness run at full size: N random usage events (default 1,000,000, the figure)
// through Kafka into the Postgres ledger; ledger totals must equal the independent BigInt
// reference to the nano. CI runs the same check at 100,000 (services/billing/test/integration/
// ledger/exactness.test.ts). Needs Kafka and Postgres as the tests do.
// Run: npx tsx bench/billing-exactness.ts [--events=1000000]
import { createDatabase, createEventBus, createLogger, migrate } from '@aegis/shared';
import { createTestDatabase, deleteKafkaTopics, requireKafka, uniqueKafkaName } from '@aegis/shared/testing';
import { PriceStore } from '../services/billing/src/prices/price-store.js';
import { MIGRATIONS_DIR, startStandaloneLedger } from '../services/billing/src/usage/standalone-ledger.js';
import { insertOddPrice, ledgerTotals, usageWorkload, type Reference } from '../services/billing/test/support/usage-workload.js';
import { readSettings, writeResult } from './lib/index.js';

const settings = readSettings({ events: 1_000_000, batchSize: 1000 });
const logger = createLogger({ service: 'billing-exactness', level: 'warn' });
const brokers = await requireKafka();
const topic = uniqueKafkaName('billing-exactness');
const tenantId = 'exactness';
const testDb = await createTestDatabase({ schema: 'billing' });
try {
  const db = await createDatabase({ url: testDb.url!, schema: 'billing', logger });
  await migrate(db, { migrationsDir: MIGRATIONS_DIR, logger });
  await new PriceStore(db).seedCatalogue('default', 'USD');
  await insertOddPrice(db, tenantId);
  const bus = await createEventBus({ kafkaBrokers: brokers, clientId: 'billing-exactness', dataDir: '/tmp', logger });
  await bus.ensureTopics([{ topic, partitions: 6 }]);
  const started = performance.now();
  const ledger = await startStandaloneLedger({ databaseUrl: testDb.url!, kafkaBrokers: brokers, dataDir: '/tmp', topic, groupId: `${topic}-ledger`, batchSize: settings.batchSize, logger });
  const producer = bus.producer();
  let reference: Reference | undefined;
  for (const chunk of usageWorkload(settings.events, tenantId, topic)) {
    await producer.publish(chunk.messages);
    reference = chunk.reference;
  }
  await producer.close();
  let totals = await ledgerTotals(db, tenantId);
  while (totals.events < BigInt(settings.events)) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    totals = await ledgerTotals(db, tenantId);
    process.stdout.write(`\r  booked ${totals.events} of ${settings.events}`);
  }
  const seconds = (performance.now() - started) / 1000;
  await ledger.stop();
  await bus.close();
  await db.close();
  const exact = totals.costNanos === reference!.costNanos && totals.rollupCostNanos === reference!.costNanos && totals.rejected === 0n;
  console.log(`\nbilling-exactness: ${settings.events} events in ${seconds.toFixed(1)} s; ledger ${totals.costNanos} nanos, reference ${reference!.costNanos} nanos: ${exact ? 'EXACT' : 'DIFFERENT'}`);
  writeResult('billing-exactness', { events: settings.events, seconds: Number(seconds.toFixed(1)), ledgerNanos: totals.costNanos.toString(), referenceNanos: reference!.costNanos.toString(), exact });
  if (!exact) process.exitCode = 1;
} finally {
  await deleteKafkaTopics(brokers, [topic]).catch(() => undefined);
  await testDb.close();
}
