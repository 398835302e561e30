import { DataClassification } from '@aegis/proto/aegis/common/v1/classification_pb.js';
import { addPeriod, checkpointRetention, expiresAt, KAIZEN_RETENTION, parseRetentionPeriod } from '../../src/domain/retention.js';
import { loadAuditSinkConfig } from '../../src/config.js';
import { RetentionSweeper } from '../../src/retention-sweeper.js';
import { createLogger } from '@aegis/shared';

const at = (iso: string) => new Date(iso);

test('Kaizen periods by classification; unclassified is kept as internal', () => {
  const time = at('2026-01-30T10:30:00Z');
  const expiry = (c: DataClassification) => expiresAt(KAIZEN_RETENTION, c, time, time).toISOString();
  expect(expiry(DataClassification.PUBLIC)).toBe('2027-01-30T10:30:00.000Z');
  expect(expiry(DataClassification.INTERNAL)).toBe('2029-01-30T10:30:00.000Z');
  expect(expiry(DataClassification.UNSPECIFIED)).toBe('2029-01-30T10:30:00.000Z');
  expect(expiry(DataClassification.CONFIDENTIAL)).toBe('2033-01-30T10:30:00.000Z');
  expect(expiry(DataClassification.RESTRICTED)).toBe('2036-01-30T10:30:00.000Z');
  expect(checkpointRetention(KAIZEN_RETENTION)).toEqual({ years: 10, days: 0 });
});

test('counted from the event time, but never from after the record reached the sink', () => {
  const stored = at('2026-01-30T00:00:00Z');
  expect(expiresAt(KAIZEN_RETENTION, DataClassification.PUBLIC, at('2025-01-01T00:00:00Z'), stored).toISOString()).toBe('2026-01-01T00:00:00.000Z');
  // A producer clock a year ahead does not buy a year more.
  expect(expiresAt(KAIZEN_RETENTION, DataClassification.PUBLIC, at('2027-01-30T00:00:00Z'), stored).toISOString()).toBe('2027-01-30T00:00:00.000Z');
});

test('calendar arithmetic: 29 February plus a year keeps a day more, never less', () => {
  expect(addPeriod(at('2024-02-29T12:00:00Z'), { years: 1, days: 0 }).toISOString()).toBe('2025-03-01T12:00:00.000Z');
  expect(addPeriod(at('2026-12-31T00:00:00Z'), { years: 0, days: 1 }).toISOString()).toBe('2027-01-01T00:00:00.000Z');
});

test('periods in configuration', () => {
  expect(parseRetentionPeriod('1y')).toEqual({ years: 1, days: 0 });
  expect(parseRetentionPeriod('90d')).toEqual({ years: 0, days: 90 });
  expect(parseRetentionPeriod('1y30d')).toEqual({ years: 1, days: 30 });
  for (const bad of ['', '0y', '1 year', '-1y', 'y', '1m']) expect(parseRetentionPeriod(bad)).toBeUndefined();
  const defaults = loadAuditSinkConfig({});
  expect(defaults.retention).toEqual(KAIZEN_RETENTION);
  expect(defaults.consumerGroup).toBe('audit-sink');
  const custom = loadAuditSinkConfig({ AEGIS_AUDIT_RETENTION_PUBLIC: '400d', AEGIS_AUDIT_RETENTION_SWEEP_BATCH: '50' });
  expect(custom.retention.public).toEqual({ years: 0, days: 400 });
  expect(custom.sweepBatch).toBe(50);
  expect(() => loadAuditSinkConfig({ AEGIS_AUDIT_RETENTION_RESTRICTED: 'forever' })).toThrow(/AEGIS_AUDIT_RETENTION_RESTRICTED/);
});

test('the sweeper deletes in bounded batches until one comes back short, at its clock\'s time', async () => {
  const expiries = Array.from({ length: 7 }, (_, i) => at(`2026-01-0${i + 1}T00:00:00Z`).getTime());
  let rows = [...expiries];
  const calls: { now: string; batch: number }[] = [];
  const sweeper = new RetentionSweeper({
    async deleteExpired(now, batch) {
      calls.push({ now: now.toISOString(), batch });
      const expired = rows.filter((e) => e <= now.getTime()).slice(0, batch);
      rows = rows.filter((e) => !expired.includes(e));
      return expired.length;
    },
    batch: 2, intervalMs: 3_600_000, now: () => at('2026-01-05T12:00:00Z').getTime(), logger: createLogger({ service: 't', level: 'silent' }),
  });
  expect(await sweeper.sweep()).toBe(5);
  expect(calls.map((c) => c.batch)).toEqual([2, 2, 2]);
  expect(new Set(calls.map((c) => c.now))).toEqual(new Set(['2026-01-05T12:00:00.000Z']));
  expect(rows).toEqual(expiries.slice(5));
  await sweeper.stop();
});
