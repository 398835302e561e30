import { join } from 'node:path';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { generateKeyringSpec, parseKeyring, type Keyring, type ServiceContext, type ServiceParts } from '@aegis/shared';
import { registerCostAlertService } from './alerts/alert-handlers.js';
import { AlertStore } from './alerts/alert-store.js';
import { Mailer } from './alerts/delivery.js';
import { AlertDispatcher } from './alerts/dispatcher.js';
import { fireCrossedAlerts, resolveEndedFirings } from './alerts/firing.js';
import { priceChangedEvent } from './audit.js';
import { BudgetBook } from './budgets/budget-book.js';
import { registerBudgetService } from './budgets/budget-handlers.js';
import { BudgetStore } from './budgets/budget-store.js';
import { TenantBudgets } from './budgets/tenant-budgets.js';
import { loadBillingConfig } from './config.js';
import { TenantZoneConsumer } from './periods/tenant-zone-consumer.js';
import { applyTenantZone, TenantZoneBook } from './periods/tenant-zones.js';
import { registerEstimationService } from './prices/estimation-handlers.js';
import { registerPriceService } from './prices/price-handlers.js';
import { DEFAULT_CATALOGUE } from './prices/catalogue.js';
import { PriceStore } from './prices/price-store.js';
import { Pricer } from './prices/pricer.js';
import { warmEncodings } from './prices/tokenizer.js';
import { registerReservationService } from './reservations/reservation-handlers.js';
import { ReservationStore } from './reservations/reservation-store.js';
import { Sweeper } from './sweeper.js';
import { ensureUsageDeadLetterTopic, usageDeadLetters } from './usage/dead-letters.js';
import { startLedgerConsumer } from './usage/ledger-consumer.js';
import { LedgerWriter } from './usage/ledger-writer.js';
import { registerUsageService } from './usage/usage-handlers.js';
import { usageOutboxRelay } from './usage/usage-outbox.js';

const BUDGETS_CHANNEL = 'budgets-changed';
const PRICES_CHANNEL = 'prices-changed';
const ZONES_CHANNEL = 'tenant-zones-changed';
/** Full reload of the tenant zones: heals an announcement lost while an instance was disconnected. */
const ZONES_RELOAD_MS = 60_000;

/** Wires stores, the ledger consumer, the sweeper and the handlers of the six billing services. */
export async function buildBilling(ctx: ServiceContext, opts: { usageTopic: string }): Promise<ServiceParts> {
  const config = loadBillingConfig(ctx.env);
  const now = () => Date.now();
  const logger = ctx.logger;
  const prices = new PriceStore(ctx.db);
  await prices.seedCatalogue(config.platformTenantId, config.currency);
  const pricer = new Pricer(prices, config.platformTenantId, { cacheMs: config.priceCacheMs, now });
  const unsubscribePrices = await ctx.broadcast.subscribe(PRICES_CHANNEL, (tenantId) => pricer.invalidate(tenantId));
  ctx.onShutdown({ name: 'billing price notices', run: () => unsubscribePrices() });
  warmEncodings(DEFAULT_CATALOGUE.map((p) => p.tokenizer));
  const budgets = new BudgetStore(ctx.db);
  // The stored tenant zones, loaded before the ledger consumer books anything.
  const zones = new TenantZoneBook(ctx.db);
  await zones.load();
  const book = new BudgetBook({ store: budgets, zones, ttlMs: config.checkCacheMs, now });
  // ReserveBudget's copy of every tenant's budget list: checked against the table by every
  // reservation anyway (reserve_budget answers `stale`), the notice only saves that round.
  const tenantBudgets = new TenantBudgets({ store: budgets });
  const unsubscribe = await ctx.broadcast.subscribe(BUDGETS_CHANNEL, (tenantId) => {
    book.invalidate(tenantId);
    tenantBudgets.forget(tenantId);
  }, { onReconnect: () => tenantBudgets.forgetAll() });
  const unsubscribeZones = await ctx.broadcast.subscribe(ZONES_CHANNEL, (tenantId) => {
    // A new zone moves the tenant's periods: forget its cached budget states too.
    void zones.refresh(tenantId).then(() => book.invalidate(tenantId), (err: unknown) => logger.warn({ err, tenantId }, 'tenant time zone not reloaded; the periodic reload will'));
  });
  ctx.onShutdown({ name: 'billing tenant zone notices', run: () => unsubscribeZones() });
  ctx.onShutdown({ name: 'billing budget notices', run: () => unsubscribe() });
  const reservations = new ReservationStore({ db: ctx.db, budgets: tenantBudgets, zones });
  // Usage events of commits, published from usage_outbox right after each commit; the retry
  // tick and the first flush publish what a failed publish or a stopped instance left.
  const usageOutbox = usageOutboxRelay({ db: ctx.db, publisher: ctx.publisher, logger: logger.child({ module: 'usage-outbox' }), retryMs: config.sweepIntervalMs });
  usageOutbox.start();
  ctx.onShutdown({ name: 'billing usage outbox relay', run: async () => {
    await usageOutbox.stop();
    // Commits answered just before the drain: publish them now rather than at the next start.
    await usageOutbox.flush();
  } });
  const alerts = new AlertStore(ctx.db);
  const keyring = await loadKeyring(config.encryptionKeys, ctx.config.serviceDataDir);
  const mailer = config.smtpUrl !== undefined ? new Mailer(config.smtpUrl, config.smtpFrom) : undefined;
  const dispatcher = new AlertDispatcher({
    db: ctx.db, publisher: ctx.publisher, mailer, keyring, logger: logger.child({ module: 'alerts' }), maxAttempts: config.alertMaxAttempts,
    backoffMs: config.alertBackoffMs, webhookTimeoutMs: config.webhookTimeoutMs, now,
  });
  const firing = { alerts, zones, currency: config.currency, now };
  let fired = 0;
  const writer = new LedgerWriter({
    db: ctx.db, prices, budgets, zones, platformTenantId: config.platformTenantId, logger: logger.child({ module: 'ledger' }),
    afterBooking: async (tx, effects) => {
      fired += await fireCrossedAlerts(tx, effects, firing);
    },
  });
  await ensureUsageDeadLetterTopic(ctx.events, opts.usageTopic);
  const deadLetters = usageDeadLetters({ db: ctx.db, producer: ctx.events.producer(), groupId: config.consumerGroup, logger: logger.child({ module: 'usage-dlq' }) });
  const consumer = await startLedgerConsumer({
    bus: ctx.events, writer, topic: opts.usageTopic, groupId: config.consumerGroup, fromBeginning: config.consumerFromBeginning,
    batchSize: config.ledgerBatchSize, partitionsConcurrently: config.ledgerConcurrency, logger, deadLetters,
    onBooked: () => {
      // New firings were committed with the batch: send them now rather than at the next poll.
      if (fired > 0) {
        fired = 0;
        void dispatcher.kick();
      }
    },
  });
  ctx.onShutdown({ name: 'billing ledger consumer', run: async () => {
    await consumer.stop();
    await deadLetters.idle();
  } });
  const zoneReload = new Sweeper({ intervalMs: ZONES_RELOAD_MS, logger, now, tasks: [() => zones.load()] });
  zoneReload.start();
  ctx.onShutdown({ name: 'billing tenant zone reload', run: () => zoneReload.stop() });
  const zoneConsumer = new TenantZoneConsumer({
    events: ctx.events, groupId: config.tenantSettingsGroup, logger: logger.child({ module: 'tenant-zones' }),
    apply: (zone) => applyTenantZone(ctx.db, zone),
    changed: (tenantId) => ctx.broadcast.publish(ZONES_CHANNEL, tenantId),
  });
  zoneConsumer.start();
  ctx.onShutdown({ name: 'billing tenant zone consumer', run: () => zoneConsumer.stop() });
  const sweeper = new Sweeper({ intervalMs: config.sweepIntervalMs, logger, now, tasks: [
    (at) => reservations.expireDue(at),
    (at) => resolveEndedFirings(ctx.db, firing, at),
    // Parked usage a failed flush left behind (the DLQ was unreachable when it was rejected).
    () => deadLetters.flush(),
  ] });
  const poller = new Sweeper({ intervalMs: config.alertPollMs, logger, now, tasks: [() => dispatcher.kick()] });
  poller.start();
  ctx.onShutdown({ name: 'billing alert dispatcher', run: async () => {
    await poller.stop();
    await dispatcher.idle();
    mailer?.close();
  } });
  sweeper.start();
  ctx.onShutdown({ name: 'billing sweeper', run: () => sweeper.stop() });
  return {
    routes(router) {
      registerPriceService(router, {
        store: prices, pricer, currency: config.currency, platformTenantId: config.platformTenantId, now,
        changed: async (tenantId, actor, price, verb) => {
          // This instance forgets the old prices before answering; the others on the notice.
          pricer.invalidate(tenantId);
          await ctx.broadcast.publish(PRICES_CHANNEL, tenantId)
            .catch((err: unknown) => logger.warn({ err, tenantId }, 'price change not announced; other instances see it within AEGIS_BILLING_PRICE_CACHE_MS'));
          await ctx.publisher.publish(priceChangedEvent(tenantId, actor, price, verb));
        },
      });
      registerEstimationService(router, { pricer, now });
      registerUsageService(router, { db: ctx.db, pricer, publisher: ctx.publisher, zones, currency: config.currency, now });
      registerBudgetService(router, {
        store: budgets, book, publisher: ctx.publisher, currency: config.currency, now,
        changed: (tenantId) => ctx.broadcast.publish(BUDGETS_CHANNEL, tenantId),
      });
      registerCostAlertService(router, { db: ctx.db, store: alerts, budgets, publisher: ctx.publisher, keyring, emailEnabled: mailer !== undefined, currency: config.currency, now });
      registerReservationService(router, { store: reservations, book, pricer, publisher: ctx.publisher, usageOutbox, currency: config.currency, logger, now });
    },
  };
}

/** AEGIS_BILLING_ENCRYPTION_KEYS, else a keyring generated once in the service's data directory (development). */
async function loadKeyring(configured: string | undefined, dataDir: string): Promise<Keyring> {
  if (configured !== undefined) return parseKeyring(configured);
  const file = join(dataDir, 'encryption-keys');
  try {
    return parseKeyring((await readFile(file, 'utf8')).trim());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true });
  const spec = generateKeyringSpec();
  await writeFile(file, `${spec}\n`, { mode: 0o600, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  return parseKeyring((await readFile(file, 'utf8')).trim());
}
