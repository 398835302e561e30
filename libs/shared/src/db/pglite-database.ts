import { resolve } from 'node:path';
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import type { Logger } from '../logging/index.js';
import { quoteIdentifier, sqlIdentifier } from './identifiers.js';
import { NotificationRouter } from './notification-router.js';
import { SerialQueue } from './serial-queue.js';
import {
  DatabaseUsageError,
  type ListenOptions,
  type NotificationHandler,
  type QueryResult,
  type SqlDatabase,
  type SqlExecutor,
} from './sql-database.js';
import { TransactionGuard } from './transaction-guard.js';

// node-postgres returns int8 as a string (a JS number cannot hold every int8 exactly);
// PGlite would return a lossy number. Ids, counters and amounts must read the same on
// both engines, so PGlite gets pg's behaviour. (Array types reuse element parsers.)
const PG_COMPATIBLE_PARSERS = { [types.INT8]: (value: string): string => value };

/**
 * One embedded Postgres (PGlite) instance and the schemas opened on it. Services that
 * share a data directory in one process share one engine, each seeing its own schema:
 * the same layout as production (one server, one schema per service).
 *
 * PGlite has a single connection, so every operation — a query, or a whole transaction —
 * runs exclusively through `queue`. The session's search_path is switched to the caller's
 * schema just before its turn, only when it differs from the last caller's.
 */
export class PgliteEngine {
  private readonly queue = new SerialQueue();
  private readonly guard = new TransactionGuard();
  private readonly router: NotificationRouter;
  private searchPath: string | undefined;
  private openViews = 0;
  private shutdown: Promise<void> | undefined;

  private constructor(
    private readonly pg: PGlite,
    logger: Logger,
    private readonly onShutdown: (done: Promise<void>) => void,
  ) {
    this.router = new NotificationRouter(logger);
    pg.onNotification((channel, payload) => this.router.dispatch(channel, payload));
  }

  /** `dataDir` persists on disk; omitted means in memory (gone at close). */
  static async open(logger: Logger, dataDir?: string, onShutdown: (done: Promise<void>) => void = () => {}): Promise<PgliteEngine> {
    const pg = await PGlite.create(dataDir, { parsers: PG_COMPATIBLE_PARSERS });
    return new PgliteEngine(pg, logger, onShutdown);
  }

  /** A database object scoped to `schema`; the engine shuts down when the last one closes. Undefined if already shutting down. */
  database(schema: string): SqlDatabase | undefined {
    const view = new PgliteDatabase(this, sqlIdentifier('schema', schema));
    if (this.shutdown) return undefined;
    this.openViews += 1;
    return view;
  }

  /** Runs `work` alone on the connection, with search_path set to `schema` when given. */
  async exclusive<T>(operation: string, schema: string | undefined, work: (pg: PGlite) => Promise<T>): Promise<T> {
    this.guard.assertOutside(operation);
    // Checked when called, not when run: work queued before close() still completes.
    if (this.shutdown) throw new DatabaseUsageError(`db.${operation}() called after close()`);
    return this.queue.run(async () => {
      if (schema !== undefined && this.searchPath !== schema) {
        await this.pg.exec(`SET search_path TO ${quoteIdentifier('schema', schema)}`);
        this.searchPath = schema;
      }
      return work(this.pg);
    });
  }

  transaction<T>(schema: string, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.exclusive('transaction', schema, (pg) => pg.transaction((tx) => this.guard.run(executorOf(tx), fn)));
  }

  async listen(channel: string, handler: NotificationHandler, options?: ListenOptions): Promise<() => Promise<void>> {
    const name = quoteIdentifier('channel', channel);
    const { subscription, first } = this.router.add(channel, handler, options);
    if (first) {
      try {
        await this.exclusive('listen', undefined, (pg) => pg.exec(`LISTEN ${name}`));
      } catch (err) {
        this.router.remove(channel, subscription);
        throw err;
      }
    }
    return async () => {
      if (this.router.remove(channel, subscription) && !this.shutdown) {
        await this.exclusive('unlisten', undefined, (pg) => pg.exec(`UNLISTEN ${name}`));
      }
    };
  }

  async release(): Promise<void> {
    this.openViews -= 1;
    if (this.openViews > 0 || this.shutdown) return this.shutdown;
    // Queued behind any in-flight work, so a transaction is never cut off mid-way.
    const done = this.queue.run(() => this.pg.close());
    this.shutdown = done;
    this.onShutdown(done);
    return done;
  }
}

function executorOf(tx: Transaction): SqlExecutor {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      return resultOf(await tx.query<Row>(sql, [...params]));
    },
    async exec(sql: string): Promise<void> {
      await tx.exec(sql);
    },
  };
}

// pg reports SELECTed rows in rowCount; PGlite only counts rows a statement changed.
function resultOf<Row>(result: { rows: Row[]; affectedRows?: number }): QueryResult<Row> {
  return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
}

class PgliteDatabase implements SqlDatabase {
  readonly kind = 'pglite' as const;
  private closed = false;

  constructor(
    private readonly engine: PgliteEngine,
    readonly schema: string,
  ) {}

  query<Row = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    return this.engine.exclusive('query', this.schema, async (pg) => resultOf(await pg.query<Row>(sql, [...params])));
  }

  exec(sql: string): Promise<void> {
    return this.engine.exclusive('exec', this.schema, async (pg) => {
      await pg.exec(sql);
    });
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.engine.transaction(this.schema, fn);
  }

  listen(channel: string, handler: NotificationHandler, options?: ListenOptions): Promise<() => Promise<void>> {
    return this.engine.listen(channel, handler, options);
  }

  async notify(channel: string, payload: string): Promise<void> {
    await this.query('SELECT pg_notify($1, $2)', [sqlIdentifier('channel', channel), payload]);
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.engine.release();
  }
}

// One engine per data directory per process: two PGlite instances on the same files
// would corrupt them. Closed engines stay in `closing` until their files are flushed, so
// a re-open of the same directory waits instead of racing the previous close.
const enginesByDir = new Map<string, Promise<PgliteEngine>>();
const closingByDir = new Map<string, Promise<void>>();

/** Opens `schema` on the engine for `dataDir` (shared within the process), or on a private in-memory engine. */
export async function openPgliteDatabase(opts: { schema: string; dataDir?: string; logger: Logger }): Promise<SqlDatabase> {
  sqlIdentifier('schema', opts.schema);
  if (opts.dataDir === undefined) {
    const engine = await PgliteEngine.open(opts.logger);
    return engine.database(opts.schema) as SqlDatabase;
  }
  const dir = resolve(opts.dataDir);
  for (;;) {
    let pending = enginesByDir.get(dir);
    if (!pending) {
      pending = startEngine(dir, opts.logger);
      enginesByDir.set(dir, pending);
    }
    // undefined only if the last view closed while we waited: open a fresh engine.
    const view = (await pending).database(opts.schema);
    if (view) return view;
  }
}

function startEngine(dir: string, logger: Logger): Promise<PgliteEngine> {
  const pending = (async () => {
    await closingByDir.get(dir)?.catch(() => undefined);
    return PgliteEngine.open(logger, dir, (done) => {
      enginesByDir.delete(dir);
      closingByDir.set(dir, done);
      void done
        .catch(() => undefined)
        .finally(() => {
          if (closingByDir.get(dir) === done) closingByDir.delete(dir);
        });
    });
  })();
  pending.catch(() => enginesByDir.delete(dir));
  return pending;
}
