import { z } from 'zod';
import { env, loadConfig, type EnvSource } from '@aegis/shared';

// The billing service's own variables (docs/configuration.md, docs/billing.md).
const billingEnvSchema = z.object({
  /** ISO 4217 code of every price and amount in this deployment. */
  AEGIS_BILLING_CURRENCY: z.string().trim().regex(/^[A-Z]{3}$/, 'must be an upper-case ISO 4217 code such as USD').default('USD'),
  /** Consumer group of the ledger writer on aegis.usage.v1. */
  AEGIS_BILLING_CONSUMER_GROUP: z.string().trim().min(1).default('billing-ledger'),
  /**
   * Consumer group reading auth's aegis.tenants.v1 (tenant time zones). Every billing instance of
   * one deployment shares it (they share one database); parallel test runs need their own.
   */
  AEGIS_BILLING_TENANT_SETTINGS_GROUP: z.string().trim()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be 1-249 letters, digits, ".", "_" or "-"').default('billing-tenant-settings'),
  /** Whether a group with no committed position starts at the oldest retained event. */
  AEGIS_BILLING_CONSUMER_FROM_BEGINNING: env.bool(true),
  /** Most events booked in one ledger transaction. */
  AEGIS_BILLING_LEDGER_BATCH_SIZE: z.string().regex(/^[1-9][0-9]{0,4}$/, 'must be a whole number from 1 to 99999').transform(Number).default(5000),
  /** Partitions of the usage topic fetched and decoded at once; their events share ledger transactions, one at a time (group commit). */
  AEGIS_BILLING_LEDGER_CONCURRENCY: z.string().regex(/^([1-9]|1[0-6])$/, 'must be a whole number from 1 to 16').transform(Number).default(4),
  /** How long CheckBudget may answer from the in-memory budget state. */
  AEGIS_BILLING_CHECK_CACHE_MS: env.durationMs(250),
  /** How long a model's prices are reused in memory by estimates and reservations (0: never); changes are announced to every instance at once. */
  AEGIS_BILLING_PRICE_CACHE_MS: env.durationMs(5_000),
  /** How often expired reservations are released and ended periods resolve their alerts. */
  AEGIS_BILLING_SWEEP_INTERVAL_MS: env.durationMs(1_000),
  /** How often the alert outbox is polled (it is also kicked after every firing). */
  AEGIS_BILLING_ALERT_POLL_MS: env.durationMs(1_000),
  /** Attempts per webhook or e-mail delivery before it is given up (backoff doubles from 1 s). */
  AEGIS_BILLING_ALERT_MAX_ATTEMPTS: z.string().regex(/^[1-9][0-9]?$/, 'must be a whole number from 1 to 99').transform(Number).default(8),
  /** First retry delay of a failed delivery; doubles per attempt, capped at 5 minutes. */
  AEGIS_BILLING_ALERT_BACKOFF_MS: env.durationMs(1_000),
  /** Timeout of one webhook request. */
  AEGIS_BILLING_WEBHOOK_TIMEOUT_MS: env.durationMs(5_000),
  /** SMTP server for e-mail alerts, smtp:// or smtps://; unset = e-mail channels are refused. */
  AEGIS_BILLING_SMTP_URL: env.url({ protocols: ['smtp', 'smtps'] }).optional(),
  /** Sender address of alert e-mails. */
  AEGIS_BILLING_SMTP_FROM: z.string().trim().default('aegis-billing@localhost'),
  /** Keyring sealing webhook secrets (`kid:<base64 32 bytes>,...`); unset = a key file in the data directory. */
  AEGIS_BILLING_ENCRYPTION_KEYS: z.string().trim().optional(),
  AEGIS_AUTH_BOOTSTRAP_TENANT: z.string().trim().default('default'),
});

export interface BillingConfig {
  currency: string;
  consumerGroup: string;
  tenantSettingsGroup: string;
  consumerFromBeginning: boolean;
  ledgerBatchSize: number;
  ledgerConcurrency: number;
  checkCacheMs: number;
  priceCacheMs: number;
  sweepIntervalMs: number;
  alertPollMs: number;
  alertMaxAttempts: number;
  alertBackoffMs: number;
  webhookTimeoutMs: number;
  smtpUrl: string | undefined;
  smtpFrom: string;
  encryptionKeys: string | undefined;
  /** Owner of the default price catalogue (auth's bootstrap tenant). */
  platformTenantId: string;
}

export function loadBillingConfig(source: EnvSource): BillingConfig {
  const parsed = loadConfig(billingEnvSchema, source);
  return {
    currency: parsed.AEGIS_BILLING_CURRENCY,
    consumerGroup: parsed.AEGIS_BILLING_CONSUMER_GROUP,
    tenantSettingsGroup: parsed.AEGIS_BILLING_TENANT_SETTINGS_GROUP,
    consumerFromBeginning: parsed.AEGIS_BILLING_CONSUMER_FROM_BEGINNING,
    ledgerBatchSize: parsed.AEGIS_BILLING_LEDGER_BATCH_SIZE,
    ledgerConcurrency: parsed.AEGIS_BILLING_LEDGER_CONCURRENCY,
    checkCacheMs: parsed.AEGIS_BILLING_CHECK_CACHE_MS,
    priceCacheMs: parsed.AEGIS_BILLING_PRICE_CACHE_MS,
    sweepIntervalMs: parsed.AEGIS_BILLING_SWEEP_INTERVAL_MS,
    alertPollMs: parsed.AEGIS_BILLING_ALERT_POLL_MS,
    alertMaxAttempts: parsed.AEGIS_BILLING_ALERT_MAX_ATTEMPTS,
    alertBackoffMs: parsed.AEGIS_BILLING_ALERT_BACKOFF_MS,
    webhookTimeoutMs: parsed.AEGIS_BILLING_WEBHOOK_TIMEOUT_MS,
    smtpUrl: parsed.AEGIS_BILLING_SMTP_URL,
    smtpFrom: parsed.AEGIS_BILLING_SMTP_FROM,
    encryptionKeys: parsed.AEGIS_BILLING_ENCRYPTION_KEYS,
    platformTenantId: parsed.AEGIS_AUTH_BOOTSTRAP_TENANT || 'default',
  };
}
