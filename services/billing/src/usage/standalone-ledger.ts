import { fileURLToPath } from 'node:url';
import { createDatabase, createEventBus, createLogger, migrate, type OutboxFlusher, type EventBus, type Logger, type SqlDatabase, type SubscriptionHandle } from '@aegis/shared';
import { BudgetStore } from '../budgets/budget-store.js';
import { TenantZoneBook } from '../periods/tenant-zones.js';
import { PriceStore } from '../prices/price-store.js';
import { ensureUsageDeadLetterTopic, usageDeadLetters } from './dead-letters.js';
import { startLedgerConsumer } from './ledger-consumer.js';
import { LedgerWriter } from './ledger-writer.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

export interface StandaloneLedgerOptions {
  /** Postgres URL; absent = PGlite in `dataDir`. */
  databaseUrl?: string;
  /** Kafka brokers; absent = the embedded event log in `dataDir`. */
  kafkaBrokers?: string[];
  dataDir: string;
  topic: string;
  groupId: string;
  batchSize?: number;
  /** Partitions booked at once (default 4, as the service). */
  partitionsConcurrently?: number;
  platformTenantId?: string;
  logger?: Logger;
  onBooked?: (count: number) => void;
}

export interface StandaloneLedger {
  db: SqlDatabase;
  bus: EventBus;
  deadLetters: OutboxFlusher;
  subscription: SubscriptionHandle;
  stop(): Promise<void>;
}

/**
 * The billing ledger consumer on its own, without the RPC server: what the fault test kills,
 * the exactness script and the ingest benchmark run. Same writer and consumer as the service.
 */
export async function startStandaloneLedger(opts: StandaloneLedgerOptions): Promise<StandaloneLedger> {
  const logger = opts.logger ?? createLogger({ service: 'billing-ledger', level: 'warn' });
  const db = await createDatabase({ ...(opts.databaseUrl !== undefined ? { url: opts.databaseUrl } : { dataDir: `${opts.dataDir}/pglite` }), schema: 'billing', logger });
  await migrate(db, { migrationsDir: MIGRATIONS_DIR, logger });
  const bus = await createEventBus({ ...(opts.kafkaBrokers !== undefined ? { kafkaBrokers: opts.kafkaBrokers } : {}), clientId: 'billing-ledger', dataDir: opts.dataDir, logger });
  const platformTenantId = opts.platformTenantId ?? 'default';
  // The zones the service stored (this process does not follow aegis.tenants.v1 itself).
  const zones = new TenantZoneBook(db);
  await zones.load();
  const writer = new LedgerWriter({ db, prices: new PriceStore(db), budgets: new BudgetStore(db), zones, platformTenantId, logger });
  await ensureUsageDeadLetterTopic(bus, opts.topic);
  const deadLetters = usageDeadLetters({ db, producer: bus.producer(), groupId: opts.groupId, logger });
  // Rows parked by an earlier run whose dead-lettering failed.
  await deadLetters.flush();
  const subscription = await startLedgerConsumer({
    bus, writer, topic: opts.topic, groupId: opts.groupId, fromBeginning: true, batchSize: opts.batchSize ?? 5000, partitionsConcurrently: opts.partitionsConcurrently ?? 4, logger, deadLetters,
    ...(opts.onBooked !== undefined ? { onBooked: opts.onBooked } : {}),
  });
  return {
    db, bus, subscription, deadLetters,
    async stop() {
      await subscription.stop();
      await deadLetters.idle();
      await bus.close();
      await db.close();
    },
  };
}
