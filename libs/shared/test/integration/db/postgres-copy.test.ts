// COPY ... FROM STDIN through a transaction's executor (SqlExecutor.copyFrom): Postgres only.
import { createLogger } from '../../../src/logging/index.js';
import { createTestDatabase, createTestPglite, type TestDatabase } from '../../../src/testing/postgres.js';

const logger = createLogger({ service: 'copy-test', level: 'silent' });

describe('copyFrom on Postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ schema: 'copy_test', logger });
    await db.exec(`CREATE SCHEMA IF NOT EXISTS copy_test; CREATE TABLE rows (id int8 PRIMARY KEY, label text, note text)`);
  });
  afterAll(() => db.close());

  it('loads rows inside the transaction and reports how many', async () => {
    const copied = await db.transaction(async (tx) => {
      expect(tx.copyFrom).toBeDefined();
      return tx.copyFrom!('COPY rows (id, label, note) FROM STDIN', Buffer.from('1\tone\t\\N\n2\ttab\\there\tü\n'));
    });
    expect(copied).toBe(2);
    const rows = await db.query<{ id: string; label: string; note: string | null }>('SELECT id::text, label, note FROM rows ORDER BY id');
    expect(rows.rows).toEqual([{ id: '1', label: 'one', note: null }, { id: '2', label: 'tab\there', note: 'ü' }]);
  });

  it('rejects with the SQLSTATE, rolls back, and leaves the connection usable', async () => {
    await expect(db.transaction(async (tx) => {
      await tx.copyFrom!('COPY rows (id, label, note) FROM STDIN', Buffer.from('3\tthree\t\\N\n'));
      await tx.copyFrom!('COPY rows (id, label, note) FROM STDIN', Buffer.from('1\tagain\t\\N\n'));
    })).rejects.toMatchObject({ code: '23505' });
    // A savepoint keeps the transaction alive past a failed COPY.
    await db.transaction(async (tx) => {
      await tx.exec('SAVEPOINT before_copy');
      await expect(tx.copyFrom!('COPY rows (id, label, note) FROM STDIN', Buffer.from('not-a-number\tx\t\\N\n'))).rejects.toMatchObject({ code: '22P02' });
      await tx.exec('ROLLBACK TO SAVEPOINT before_copy');
      await tx.query('INSERT INTO rows VALUES (4, $1, NULL)', ['four']);
    });
    const ids = await db.query<{ id: string }>('SELECT id::text FROM rows ORDER BY id');
    expect(ids.rows.map((r) => r.id)).toEqual(['1', '2', '4']);
  });

  it('is refused after its transaction ended', async () => {
    let leaked: ((sql: string, data: Uint8Array) => Promise<number>) | undefined;
    await db.transaction(async (tx) => {
      leaked = tx.copyFrom;
    });
    await expect(leaked!('COPY rows (id) FROM STDIN', Buffer.from('9\n'))).rejects.toThrow(/after its transaction ended/);
  });
});

describe('copyFrom on PGlite', () => {
  it('is absent: callers fall back to INSERT', async () => {
    const db = await createTestPglite({ schema: 'copy_test', logger });
    try {
      await db.transaction(async (tx) => {
        expect(tx.copyFrom).toBeUndefined();
      });
    } finally {
      await db.close();
    }
  });
});
