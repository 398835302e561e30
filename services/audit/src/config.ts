import { z } from 'zod';
import { env, loadConfig, type EnvSource } from '@aegis/shared';
import { parseRetentionPeriod, type RetentionPolicy } from './domain/retention.js';

// The audit sink's own variables (docs/audit.md, "Running the sink").

const period = (fallback: string) => z.string().trim().default(fallback).transform((raw, ctx) => {
  const parsed = parseRetentionPeriod(raw);
  if (parsed === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be a period such as 1y, 3y, 90d or 1y30d' });
    return z.NEVER;
  }
  return parsed;
});

const wholeNumber = (max: number, fallback: number) => z.string().regex(/^[1-9][0-9]*$/, `must be a whole number from 1 to ${max}`)
  .transform(Number).refine((n) => n <= max, `must be a whole number from 1 to ${max}`).default(fallback);

const auditEnvSchema = z.object({
  /** Consumer group on aegis.audit.v1; every sink instance of one deployment shares it (they share one database). */
  AEGIS_AUDIT_CONSUMER_GROUP: z.string().trim().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be 1-249 letters, digits, ".", "_" or "-"').default('audit-sink'),
  /** Whether a group with no committed position starts at the oldest retained event. */
  AEGIS_AUDIT_CONSUMER_FROM_BEGINNING: env.bool(true),
  /** Most records written in one transaction. */
  AEGIS_AUDIT_BATCH_SIZE: wholeNumber(10_000, 1000),
  AEGIS_AUDIT_RETENTION_PUBLIC: period('1y'),
  AEGIS_AUDIT_RETENTION_INTERNAL: period('3y'),
  AEGIS_AUDIT_RETENTION_CONFIDENTIAL: period('7y'),
  AEGIS_AUDIT_RETENTION_RESTRICTED: period('10y'),
  /** How often expired records are deleted. */
  AEGIS_AUDIT_RETENTION_SWEEP_INTERVAL_MS: env.durationMs(3_600_000),
  /** Records deleted per statement (short transactions, no long locks). */
  AEGIS_AUDIT_RETENTION_SWEEP_BATCH: wholeNumber(100_000, 1000),
  /** Checkpoint keys VerifyAuditChain trusts besides this process's own (base64 SPKI DER, comma-separated, or PEM). */
  AEGIS_AUDIT_PUBLIC_KEYS: z.string().optional(),
  /** Most stored records one VerifyAuditChain reads; above it the caller narrows the interval or producer. */
  AEGIS_AUDIT_VERIFY_MAX_RECORDS: wholeNumber(10_000_000, 500_000),
  /** A tail stream looks for new records this often even without a notification (one lost in a reconnect). */
  AEGIS_AUDIT_TAIL_POLL_MS: env.durationMs(5_000),
});

export interface AuditSinkConfig {
  consumerGroup: string;
  consumerFromBeginning: boolean;
  batchSize: number;
  retention: RetentionPolicy;
  sweepIntervalMs: number;
  sweepBatch: number;
  publicKeys: string | undefined;
  verifyMaxRecords: number;
  tailPollMs: number;
}

export function loadAuditSinkConfig(source: EnvSource): AuditSinkConfig {
  const parsed = loadConfig(auditEnvSchema, source);
  return {
    consumerGroup: parsed.AEGIS_AUDIT_CONSUMER_GROUP,
    consumerFromBeginning: parsed.AEGIS_AUDIT_CONSUMER_FROM_BEGINNING,
    batchSize: parsed.AEGIS_AUDIT_BATCH_SIZE,
    retention: {
      public: parsed.AEGIS_AUDIT_RETENTION_PUBLIC,
      internal: parsed.AEGIS_AUDIT_RETENTION_INTERNAL,
      confidential: parsed.AEGIS_AUDIT_RETENTION_CONFIDENTIAL,
      restricted: parsed.AEGIS_AUDIT_RETENTION_RESTRICTED,
    },
    sweepIntervalMs: parsed.AEGIS_AUDIT_RETENTION_SWEEP_INTERVAL_MS,
    sweepBatch: parsed.AEGIS_AUDIT_RETENTION_SWEEP_BATCH,
    publicKeys: parsed.AEGIS_AUDIT_PUBLIC_KEYS?.trim() || undefined,
    verifyMaxRecords: parsed.AEGIS_AUDIT_VERIFY_MAX_RECORDS,
    tailPollMs: parsed.AEGIS_AUDIT_TAIL_POLL_MS,
  };
}

