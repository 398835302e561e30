import { DataClassification } from '@aegis/proto/aegis/common/v1/classification_pb.js';

// How long the sink keeps a record, by the classification the producer gave it (Kaizen's
// data classification table: public 1 year, internal 3, confidential 7, restricted 10).
// Decided once, at write time, so a later change of policy applies to new records only and
// the sweeper needs nothing but `expires_at`.

/** A retention period in calendar units: years stay years across leap days. */
export interface RetentionPeriod {
  years: number;
  days: number;
}

export interface RetentionPolicy {
  public: RetentionPeriod;
  internal: RetentionPeriod;
  confidential: RetentionPeriod;
  restricted: RetentionPeriod;
}

export const KAIZEN_RETENTION: RetentionPolicy = {
  public: { years: 1, days: 0 },
  internal: { years: 3, days: 0 },
  confidential: { years: 7, days: 0 },
  restricted: { years: 10, days: 0 },
};

/** "1y", "3y", "90d", "1y30d": what the AEGIS_AUDIT_RETENTION_* variables accept. */
export function parseRetentionPeriod(text: string): RetentionPeriod | undefined {
  const match = /^(?:(\d{1,3})y)?(?:(\d{1,5})d)?$/.exec(text.trim());
  if (match === null || (match[1] === undefined && match[2] === undefined)) return undefined;
  const period = { years: Number(match[1] ?? 0), days: Number(match[2] ?? 0) };
  return period.years === 0 && period.days === 0 ? undefined : period;
}

/** Unclassified records are kept as internal (aegis.common.v1.DataClassification says so). */
export function effectiveClassification(classification: DataClassification): DataClassification {
  return classification === DataClassification.UNSPECIFIED ? DataClassification.INTERNAL : classification;
}

export function retentionFor(policy: RetentionPolicy, classification: DataClassification): RetentionPeriod {
  switch (effectiveClassification(classification)) {
    case DataClassification.PUBLIC: return policy.public;
    case DataClassification.CONFIDENTIAL: return policy.confidential;
    case DataClassification.RESTRICTED: return policy.restricted;
    default: return policy.internal;
  }
}

/**
 * When a record stops being kept. Counted from the event's time, but never from a time
 * after it reached the sink: a producer clock running ahead must not extend retention.
 */
export function expiresAt(policy: RetentionPolicy, classification: DataClassification, eventTime: Date, storedAt: Date): Date {
  const from = Math.min(eventTime.getTime(), storedAt.getTime());
  return addPeriod(new Date(from), retentionFor(policy, classification));
}

/**
 * Checkpoints prove chains that may hold restricted events, so they are kept as long as the
 * longest-kept classification.
 */
export function checkpointRetention(policy: RetentionPolicy): RetentionPeriod {
  const all = [policy.public, policy.internal, policy.confidential, policy.restricted];
  const probe = new Date(Date.UTC(2000, 0, 1));
  return all.reduce((longest, p) => (addPeriod(probe, p) > addPeriod(probe, longest) ? p : longest));
}

export function addPeriod(from: Date, period: RetentionPeriod): Date {
  const at = new Date(from.getTime());
  // 29 February plus a year rolls over to 1 March: a day more than asked, never a day less.
  at.setUTCFullYear(at.getUTCFullYear() + period.years);
  at.setUTCDate(at.getUTCDate() + period.days);
  return at;
}
