// One behavioural contract, run against both engines behind SqlDatabase: the embedded
// PGlite and the real Postgres server. A service's SQL must behave the same on either.
import { DatabaseUsageError, type SqlDatabase } from '../../../src/db/index.js';
import { createLogger } from '../../../src/logging/index.js';
import { createTestDatabase, createTestPglite, type TestDatabase } from '../../../src/testing/postgres.js';

const engines = [
  ['pglite', createTestPglite],
  ['postgres', createTestDatabase],
] as const;

function nextPayload(db: SqlDatabase, channel: string, timeoutMs = 5_000): Promise<{ payload: Promise<string>; stop: () => Promise<void> }> {
  let resolvePayload: (payload: string) => void = () => {};
  const payload = new Promise<string>((resolve, reject) => {
    resolvePayload = resolve;
    setTimeout(() => reject(new Error(`no notification on ${channel} within ${timeoutMs} ms`)), timeoutMs).unref();
  });
  return db.listen(channel, (p) => resolvePayload(p)).then((stop) => ({ payload, stop }));
}

describe.each(engines)('SqlDatabase contract on %s', (kind, create) => {
  let db: TestDatabase;
  const logLines: string[] = [];

  beforeAll(async () => {
    const logger = createLogger({ service: 'contract', level: 'warn', destination: { write: (line: string) => logLines.push(line) } });
    db = await create({ schema: 'svc_a', logger });
    await db.exec(`
      CREATE SCHEMA IF NOT EXISTS svc_a;
      CREATE TABLE items (id int8 PRIMARY KEY, label text UNIQUE, price numeric, doc jsonb, seen_at timestamptz, active boolean);
      CREATE TABLE ledger (entry text NOT NULL);
    `);
  });
  afterAll(() => db.close());

  it('reports its kind and schema', () => {
    expect(db.kind).toBe(kind);
    expect(db.schema).toBe('svc_a');
  });

  it('binds parameters and reads the same JS types on both engines', async () => {
    const seenAt = new Date('2025-01-02T03:04:05.678Z');
    const insert = await db.query('INSERT INTO items VALUES ($1, $2, $3, $4, $5, $6), ($7, $8, NULL, NULL, NULL, false)', [
      '9007199254740993', // above 2^53: must survive exactly
      "it's; DROP TABLE items; --",
      '12.50',
      JSON.stringify({ tier: 'pro', limits: [1, 2] }),
      seenAt,
      true,
      2,
      'second',
    ]);
    expect(insert.rowCount).toBe(2);

    const { rows, rowCount } = await db.query<{ id: string; label: string; price: string; doc: unknown; seen_at: Date; active: boolean }>(
      'SELECT id, label, price, doc, seen_at, active FROM items WHERE label = $1',
      ["it's; DROP TABLE items; --"],
    );
    expect(rowCount).toBe(1);
    expect(rows[0]).toEqual({
      id: '9007199254740993',
      label: "it's; DROP TABLE items; --",
      price: '12.50',
      doc: { tier: 'pro', limits: [1, 2] },
      seen_at: seenAt,
      active: true,
    });

    const updated = await db.query('UPDATE items SET active = NOT active WHERE id IN ($1, $2)', ['9007199254740993', 2]);
    expect(updated.rowCount).toBe(2);
    const count = await db.query<{ n: string }>('SELECT count(*) AS n FROM items');
    expect(count.rows).toEqual([{ n: '2' }]);
  });

  it('surfaces the SQLSTATE of a failed statement', async () => {
    await db.query("INSERT INTO items (id, label) VALUES (10, 'dup')");
    await expect(db.query("INSERT INTO items (id, label) VALUES (11, 'dup')")).rejects.toMatchObject({ code: '23505' });
  });

  it('commits a transaction and returns the callback result', async () => {
    const result = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO ledger VALUES ($1)', ['commit-1']);
      await tx.query('INSERT INTO ledger VALUES ($1)', ['commit-2']);
      return (await tx.query<{ n: string }>("SELECT count(*) AS n FROM ledger WHERE entry LIKE 'commit-%'")).rows[0]?.n;
    });
    expect(result).toBe('2');
    const { rows } = await db.query("SELECT entry FROM ledger WHERE entry LIKE 'commit-%' ORDER BY entry");
    expect(rows).toEqual([{ entry: 'commit-1' }, { entry: 'commit-2' }]);
  });

  it('rolls back everything when the callback throws, and rethrows', async () => {
    const failure = new Error('domain check failed');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO ledger VALUES ($1)', ['rolled-back']);
        throw failure;
      }),
    ).rejects.toBe(failure);
    const { rowCount } = await db.query("SELECT 1 FROM ledger WHERE entry = 'rolled-back'");
    expect(rowCount).toBe(0);
  });

  it('refuses nested use of the database object inside a transaction, and a tx used after its end', async () => {
    let leaked: { query: (sql: string) => Promise<unknown> } | undefined;
    await db.transaction(async (tx) => {
      leaked = tx;
      await expect(db.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseUsageError);
      await expect(db.transaction(async () => 1)).rejects.toBeInstanceOf(DatabaseUsageError);
      await tx.query('SELECT 1'); // the transaction itself is still usable
    });
    await expect(leaked?.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseUsageError);
  });

  it('keeps statements from other callers out of an open transaction', async () => {
    let insideTransaction: () => void = () => {};
    const started = new Promise<void>((resolve) => (insideTransaction = resolve));
    const rolledBack = db.transaction(async (tx) => {
      await tx.query("INSERT INTO ledger VALUES ('inside-tx')");
      insideTransaction();
      await new Promise((resolve) => setTimeout(resolve, 100));
      throw new Error('abort');
    });
    await started;
    // Issued while the transaction is open. On PGlite's single connection it must wait
    // for the rollback; had it slipped into the transaction, the rollback would erase it.
    const outside = db.query("INSERT INTO ledger VALUES ('outside-tx')");
    await expect(rolledBack).rejects.toThrow('abort');
    await outside;
    const { rows } = await db.query("SELECT entry FROM ledger WHERE entry LIKE '%-tx' ORDER BY entry");
    expect(rows).toEqual([{ entry: 'outside-tx' }]);
  });

  it("isolates schemas: another service's database object does not see this one's tables", async () => {
    const other = await db.open('svc_b');
    await other.exec('CREATE SCHEMA IF NOT EXISTS svc_b; CREATE TABLE items (sku text)');
    await other.query("INSERT INTO items VALUES ('b-only')");

    await expect(other.query('SELECT * FROM ledger')).rejects.toMatchObject({ code: '42P01' });
    expect((await other.query('SELECT sku FROM items')).rows).toEqual([{ sku: 'b-only' }]);
    // Same unqualified name, different table: service A's items are untouched.
    expect((await db.query("SELECT 1 FROM items WHERE label = 'second'")).rowCount).toBe(1);
    expect((await db.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s).toBe('svc_a');
    expect((await other.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s).toBe('svc_b');
  });

  it('delivers NOTIFY payloads to listeners until they unsubscribe', async () => {
    const sender = await db.open('svc_b');
    const first = await nextPayload(db, 'policy_changed');
    const dropped: string[] = [];
    const stopDropped = await db.listen('policy_changed', (p) => dropped.push(p));
    const stopFaulty = await db.listen('policy_changed', () => {
      throw new Error('a faulty subscriber must not affect the others');
    });

    await sender.notify('policy_changed', '{"tenant":"t1","version":7}');
    await expect(first.payload).resolves.toBe('{"tenant":"t1","version":7}');

    await stopDropped();
    const second = await nextPayload(db, 'policy_changed');
    await sender.notify('policy_changed', 'v8');
    await expect(second.payload).resolves.toBe('v8');
    // Both were dispatched from the same notification: had `dropped` still been subscribed, it would hold v8.
    expect(dropped).toEqual(['{"tenant":"t1","version":7}']);
    // The faulty subscriber's error went to the log, not into the database layer.
    expect(logLines.filter((line) => line.includes('a faulty subscriber must not affect the others'))).toHaveLength(2);
    await Promise.all([first.stop(), second.stop(), stopFaulty()]);
  });

  it('delivers a NOTIFY sent inside a transaction only when it commits', async () => {
    const received: string[] = [];
    const stop = await db.listen('tx_events', (p) => received.push(p));
    await expect(
      db.transaction(async (tx) => {
        await tx.query("SELECT pg_notify('tx_events', 'from-rollback')");
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const committed = await nextPayload(db, 'tx_events');
    await db.transaction(async (tx) => {
      await tx.query("SELECT pg_notify('tx_events', 'from-commit')");
    });
    await expect(committed.payload).resolves.toBe('from-commit');
    expect(received).toEqual(['from-commit']);
    await committed.stop();
    await stop();
  });

  it('rejects channel and schema names that are not plain identifiers', async () => {
    await expect(db.listen('x; DROP TABLE items', () => {})).rejects.toBeInstanceOf(DatabaseUsageError);
    await expect(db.notify('Bad-Channel', 'p')).rejects.toBeInstanceOf(DatabaseUsageError);
    await expect(db.open('svc"; DROP SCHEMA svc_a; --')).rejects.toBeInstanceOf(DatabaseUsageError);
  });

  it('answers ping while open', async () => {
    await expect(db.ping()).resolves.toBeUndefined();
  });
});
