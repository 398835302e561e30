import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase } from '../db/create-database.js';
import { PgliteEngine } from '../db/pglite-database.js';
import type { SqlDatabase } from '../db/sql-database.js';
import { createLogger, redactUrl, type Logger } from '../logging/index.js';

// Isolation unit: a fresh DATABASE per test file, not a fresh schema. Services use their
// real schema names ("auth", "policy"), so two test files migrating "auth" in one database
// would collide; randomising schema names instead would test something production never
// runs. A database also scopes everything else a test can create (other schemas, roles'
// grants, advisory-lock keys are per-database), and DROP DATABASE ... WITH (FORCE)
// removes it all in one statement, even with connections a failed test left open.

const DEFAULT_URL = 'postgres://root@127.0.0.1:5432/test';

export interface TestDatabase extends SqlDatabase {
  /** URL of the throwaway database, for code under test that builds its own pool; undefined on PGlite. */
  readonly url: string | undefined;
  /**
   * Another database object on the same throwaway database (or PGlite engine), scoped to
   * `schema`: what a second service, or a second instance of the same service, would see.
   * Closed by this object's close().
   */
  open(schema: string): Promise<SqlDatabase>;
  /** Closes every object opened from this one, then drops the throwaway database. */
  close(): Promise<void>;
}

export interface TestDatabaseOptions {
  schema: string;
  logger?: Logger;
}

/** Maintenance URL: DATABASE_URL when set, else the local test server. */
export function testDatabaseUrl(): string {
  return process.env.DATABASE_URL ?? DEFAULT_URL;
}

/** A fresh database on the real Postgres server, dropped at close(). Fails clearly if the server is down. */
export async function createTestDatabase(opts: TestDatabaseOptions): Promise<TestDatabase> {
  const adminUrl = testDatabaseUrl();
  const name = `aegis_t_${randomBytes(6).toString('hex')}`;
  await withMaintenanceConnection(adminUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  const url = databaseUrl(adminUrl, name);
  const logger = opts.logger ?? quietLogger();
  // poolMax kept small: a test run opens many of these side by side.
  const open = (schema: string): Promise<SqlDatabase> => createDatabase({ url, schema, logger, poolMax: 4 });
  return testDatabase(await open(opts.schema), url, open, () =>
    withMaintenanceConnection(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  );
}

/** The embedded counterpart: a private in-memory PGlite engine, gone at close(). */
export async function createTestPglite(opts: TestDatabaseOptions): Promise<TestDatabase> {
  const engine = await PgliteEngine.open(opts.logger ?? quietLogger());
  const open = async (schema: string): Promise<SqlDatabase> => engine.database(schema) as SqlDatabase;
  // Closing the last view shuts the engine down, so there is nothing else to drop.
  return testDatabase(await open(opts.schema), undefined, open, async () => {});
}

function testDatabase(
  primary: SqlDatabase,
  url: string | undefined,
  openView: (schema: string) => Promise<SqlDatabase>,
  drop: () => Promise<unknown>,
): TestDatabase {
  const others: SqlDatabase[] = [];
  let closing: Promise<void> | undefined;
  return {
    kind: primary.kind,
    schema: primary.schema,
    url,
    query: (sql, params) => primary.query(sql, params),
    exec: (sql) => primary.exec(sql),
    transaction: (fn) => primary.transaction(fn),
    listen: (channel, handler, options) => primary.listen(channel, handler, options),
    notify: (channel, payload) => primary.notify(channel, payload),
    ping: () => primary.ping(),
    async open(schema) {
      const view = await openView(schema);
      others.push(view);
      return view;
    },
    close() {
      closing ??= (async () => {
        await Promise.all([primary, ...others].map((db) => db.close()));
        await drop();
      })();
      return closing;
    },
  };
}

async function withMaintenanceConnection<T>(adminUrl: string, work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3_000 });
  try {
    await admin.connect();
  } catch (err) {
    await admin.end().catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `Postgres is not reachable at ${redactUrl(adminUrl)} (${reason}). ` +
        'Integration tests need the local backends: run `bash scripts/backends/up.sh` (or set DATABASE_URL).',
      { cause: err },
    );
  }
  try {
    return await work(admin);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

// Tests assert on behaviour, not on log lines; warnings still show so a failing test has context.
function quietLogger(): Logger {
  return createLogger({ service: 'test-db', level: 'warn' });
}
