// Two sink instances on one database (Postgres, and PGlite as the embedded counterpart): a
// record stored by one wakes the tails of the other through LISTEN/NOTIFY alone, and the
// retention delete takes expired rows only, in bounded statements.
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { DataClassification } from '@aegis/proto/aegis/common/v1/classification_pb.js';
import { AuditEventSchema } from '@aegis/proto/aegis/events/v1/audit_event_pb.js';
import { createEvent, createLogger, encodeEvent, migrate, type SqlDatabase } from '@aegis/shared';
import { createTestDatabase, createTestPglite, type TestDatabase } from '@aegis/shared/testing';
import { AuditStore } from '../../../src/adapters/postgres/audit-store.js';
import { StoredFeed } from '../../../src/adapters/postgres/stored-feed.js';
import { recordOf, type AuditRecordRow } from '../../../src/domain/audit-record.js';
import { KAIZEN_RETENTION } from '../../../src/domain/retention.js';

const MIGRATIONS = fileURLToPath(new URL('../../../migrations', import.meta.url));
const logger = createLogger({ service: 'audit-store-test', level: 'silent' });

function row(tenantId: string, classification: DataClassification, storedAt: Date): AuditRecordRow {
  const event = createEvent({ source: 'auth', tenantId, action: 'api_key.created', payload: { case: 'audit', value: create(AuditEventSchema, { classification }) } });
  const record = recordOf(event, encodeEvent(event), KAIZEN_RETENTION, storedAt);
  if ('problem' in record) throw new Error(record.problem);
  return record;
}

describe.each([
  ['Postgres', () => createTestDatabase({ schema: 'audit' })],
  ['PGlite', () => createTestPglite({ schema: 'audit' })],
] as const)('audit store (%s)', (_name, createDb) => {
  let db: TestDatabase;
  let other: SqlDatabase;
  beforeAll(async () => {
    db = await createDb();
    await migrate(db, { migrationsDir: MIGRATIONS, logger });
    other = await db.open('audit');
  });
  afterAll(async () => {
    await db?.close();
  });

  test('a record stored by one instance wakes the tails of another (no in-process announcement)', async () => {
    const writer = new AuditStore(db);
    const reader = new AuditStore(other);
    const feed = new StoredFeed(other, reader.channel, logger);
    await feed.start();
    try {
      const abort = new AbortController();
      // A wait far longer than the test's own timeout: only a notification can end it in time.
      const acme = feed.arm('acme', 3_600_000, abort.signal);
      const globex = feed.arm('globex', 3_600_000, abort.signal);
      let globexWoke = false;
      void globex.wait.then(() => (globexWoke = true));
      const before = await reader.lastPosition();
      expect(await writer.store([row('acme', DataClassification.INTERNAL, new Date())], [], new Date())).toEqual(['acme']);
      await acme.wait;
      expect(globexWoke).toBe(false);
      const seen = await reader.after({ tenantId: 'acme', actions: [] }, before, 10);
      expect(seen).toHaveLength(1);
      abort.abort();
    } finally {
      await feed.stop();
    }
  }, 30_000);

  test('deleteExpired removes only rows whose retention ended, at most a batch per call', async () => {
    const store = new AuditStore(db);
    const tenantId = `ret-${Date.now()}`;
    const longAgo = new Date(Date.UTC(2020, 0, 1));
    // Stored in 2020 (retention counts from then, the earlier of event and storage time):
    // public expires 2021, internal 2023, confidential 2027, restricted 2030.
    const rows = [DataClassification.PUBLIC, DataClassification.PUBLIC, DataClassification.PUBLIC, DataClassification.INTERNAL, DataClassification.CONFIDENTIAL, DataClassification.RESTRICTED]
      .map((c) => row(tenantId, c, longAgo));
    await store.store(rows, [], longAgo);
    const at2024 = new Date(Date.UTC(2024, 0, 1));
    expect(await store.deleteExpired(at2024, 2)).toBe(2);
    expect(await store.deleteExpired(at2024, 2)).toBe(2);
    expect(await store.deleteExpired(at2024, 2)).toBe(0);
    const left = await store.page({ tenantId, actions: [] }, true, 10);
    expect(left).toHaveLength(2);
    // 2028: confidential has gone; restricted (and the first test's 2026 record) stay.
    expect(await store.deleteExpired(new Date(Date.UTC(2028, 0, 1)), 10)).toBe(1);
    expect(await store.page({ tenantId, actions: [] }, true, 10)).toHaveLength(1);
  });
});
