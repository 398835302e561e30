// Backends for the ledger tests: a fresh Postgres database and a Kafka topic of this run, or
// PGlite and the embedded event log in a temporary directory. The catalogue is seeded and a
// tenant override with odd prices is added, as the service would have it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, createEventBus, createLogger, deadLetterTopic, migrate, type EventBus, type SqlDatabase } from '@aegis/shared';
import { createTestDatabase, deleteKafkaTopics, requireKafka, uniqueKafkaName, type TestDatabase } from '@aegis/shared/testing';
import { PriceStore } from '../../../src/prices/price-store.js';
import { MIGRATIONS_DIR } from '../../../src/usage/standalone-ledger.js';
import { insertOddPrice, usageWorkload, type Reference } from '../../support/usage-workload.js';

export const logger = createLogger({ service: 'billing-ledger-test', level: 'warn' });

export interface LedgerBackend {
  name: string;
  dataDir: string;
  topic: string;
  databaseUrl: string | undefined;
  kafkaBrokers: string[] | undefined;
  /** Opens the database (migrated); on PGlite only one opener at a time. */
  openDb(): Promise<SqlDatabase>;
  openBus(): Promise<EventBus>;
  tearDown(): Promise<void>;
}

export async function ledgerBackend(kind: 'real' | 'embedded'): Promise<LedgerBackend> {
  const dataDir = await mkdtemp(join(tmpdir(), 'aegis-billing-ledger-'));
  const topic = uniqueKafkaName('billing-usage-test');
  let testDb: TestDatabase | undefined;
  let brokers: string[] | undefined;
  if (kind === 'real') {
    brokers = await requireKafka();
    testDb = await createTestDatabase({ schema: 'billing' });
  }
  const backend: LedgerBackend = {
    name: kind, dataDir, topic, databaseUrl: testDb?.url, kafkaBrokers: brokers,
    async openDb() {
      const db = await createDatabase({ ...(testDb?.url !== undefined ? { url: testDb.url } : { dataDir: join(dataDir, 'pglite') }), schema: 'billing', logger });
      await migrate(db, { migrationsDir: MIGRATIONS_DIR, logger });
      return db;
    },
    openBus: () => createEventBus({ ...(brokers !== undefined ? { kafkaBrokers: brokers } : {}), clientId: 'billing-ledger-test', dataDir, logger }),
    async tearDown() {
      if (brokers !== undefined) await deleteKafkaTopics(brokers, [topic, deadLetterTopic(topic)]).catch(() => undefined);
      await testDb?.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return backend;
}

export async function seedPrices(db: SqlDatabase, tenantId: string): Promise<void> {
  await new PriceStore(db).seedCatalogue('default', 'USD');
  await insertOddPrice(db, tenantId);
}

/** Publishes the workload, in chunks, on the backend's topic; returns the reference. */
export async function publishWorkload(bus: EventBus, count: number, tenantId: string, topic: string, seed = 42, onChunk?: (published: number) => Promise<void>): Promise<Reference> {
  const producer = bus.producer();
  let reference: Reference | undefined;
  try {
    for (const chunk of usageWorkload(count, tenantId, topic, seed)) {
      await producer.publish(chunk.messages);
      reference = chunk.reference;
      await onChunk?.(reference.events);
    }
  } finally {
    await producer.close();
  }
  return reference!;
}
