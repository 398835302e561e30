// What is specific to the embedded engine: files on disk, one engine shared by the
// services of one process, and a single connection that must serialise transactions.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '../../../src/db/index.js';
import { createTestPglite } from '../../../src/testing/postgres.js';

describe('PGlite engine', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aegis-pglite-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('persists data under dataDir across close and reopen', async () => {
    const first = await createDatabase({ dataDir, schema: 'billing' });
    await first.exec("CREATE SCHEMA billing; CREATE TABLE invoices (id text); INSERT INTO invoices VALUES ('inv-1')");
    await first.close();

    const reopened = await createDatabase({ dataDir, schema: 'billing' });
    expect((await reopened.query('SELECT id FROM invoices')).rows).toEqual([{ id: 'inv-1' }]);
    await reopened.close();
  });

  it('shares one engine between services opening the same dataDir, each in its own schema', async () => {
    const [billing, auth] = await Promise.all([
      createDatabase({ dataDir, schema: 'billing' }),
      createDatabase({ dataDir, schema: 'auth' }),
    ]);
    await auth.exec('CREATE SCHEMA IF NOT EXISTS auth; CREATE TABLE invoices (shadow boolean)');
    // Interleaved calls: each must run under its own search_path.
    const [billingRows, authRows] = await Promise.all([billing.query('SELECT id FROM invoices'), auth.query('SELECT shadow FROM invoices')]);
    expect(billingRows.rows).toEqual([{ id: 'inv-1' }]);
    expect(authRows.rows).toEqual([]);

    // A notification crosses services, as on a server.
    const got = new Promise<string>((resolve) => void billing.listen('bus', resolve));
    await auth.notify('bus', 'hello');
    await expect(got).resolves.toBe('hello');

    // Closing one service leaves the shared engine running for the other.
    await auth.close();
    await expect(billing.ping()).resolves.toBeUndefined();
    await billing.close();
    await expect(billing.query('SELECT 1')).rejects.toThrow(/after close/);
  });

  it('serialises transactions so read-modify-write cycles never interleave', async () => {
    const db = await createTestPglite({ schema: 'ratelimit' });
    await db.exec('CREATE SCHEMA ratelimit; CREATE TABLE counter (n int NOT NULL); INSERT INTO counter VALUES (0)');
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.transaction(async (tx) => {
          const { rows } = await tx.query<{ n: number }>('SELECT n FROM counter');
          await new Promise((resolve) => setTimeout(resolve, 2)); // yield: other callers get every chance to cut in
          await tx.query('UPDATE counter SET n = $1', [(rows[0]?.n ?? 0) + 1]);
        }),
      ),
    );
    expect((await db.query('SELECT n FROM counter')).rows).toEqual([{ n: 20 }]);
    await db.close();
  });
});
