import pg from 'pg';
import type { Logger } from '../logging/index.js';
import { sqlIdentifier } from './identifiers.js';
import { copyFromStdin } from './postgres-copy.js';
import { PostgresNotificationListener } from './postgres-listener.js';
import {
  DatabaseUsageError,
  type ListenOptions,
  type NotificationHandler,
  type QueryResult,
  type SqlDatabase,
  type SqlExecutor,
} from './sql-database.js';
import { TransactionGuard } from './transaction-guard.js';

export interface PostgresDatabaseOptions {
  url: string;
  schema: string;
  logger: Logger;
  poolMax?: number;
  /** Server-side limit per statement; default 30 s. */
  statementTimeoutMs?: number;
  /** Shown in pg_stat_activity; default `aegis-<schema>`. */
  applicationName?: string;
  /** Time to open a connection before failing; default 5 s. */
  connectTimeoutMs?: number;
}

const PING_TIMEOUT_MS = 3_000;
// Client-side backstop above the server's statement_timeout: catches a connection that
// went silent (network partition) where the server-side timer can never fire.
const CLIENT_TIMEOUT_MARGIN_MS = 5_000;

export function openPostgresDatabase(opts: PostgresDatabaseOptions): SqlDatabase {
  const schema = sqlIdentifier('schema', opts.schema);
  const statementTimeoutMs = opts.statementTimeoutMs ?? 30_000;
  const connection: pg.ClientConfig = {
    connectionString: checkedUrl(opts.url),
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
    keepAlive: true,
    application_name: opts.applicationName ?? `aegis-${schema}`,
  };
  const pool = new pg.Pool({
    ...connection,
    max: opts.poolMax ?? 10,
    idleTimeoutMillis: 30_000,
    query_timeout: statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS,
    // Set at connection start-up, so every pooled session — including ones the pool
    // re-opens after a failure — resolves unqualified names in this service's schema only.
    options: `-c search_path=${schema} -c statement_timeout=${Math.trunc(statementTimeoutMs)}`,
  });
  // An idle connection dying (server restart, failover) is routine: the pool replaces it.
  // Without a listener, node would treat the 'error' event as fatal and crash the process.
  pool.on('error', (err) => opts.logger.warn({ err, schema }, 'idle postgres connection failed'));
  const listener = new PostgresNotificationListener(
    { ...connection, application_name: `${connection.application_name}-listen` },
    opts.logger,
  );
  return new PostgresDatabase(pool, listener, schema);
}

// Validated here so a typo fails at start-up with a message that never echoes the URL
// (it usually carries the password).
function checkedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseUsageError('database url is not a valid URL; expected postgres://user:password@host:port/database');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DatabaseUsageError(`database url must use postgres:// or postgresql://, not ${parsed.protocol}//`);
  }
  if (parsed.searchParams.has('options')) {
    throw new DatabaseUsageError('database url must not carry options=: search_path and statement_timeout are set per service');
  }
  return url;
}

function resultOf<Row>(result: pg.QueryResult): QueryResult<Row> {
  return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
}

function executorOf(client: pg.PoolClient): SqlExecutor {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      return resultOf<Row>(await client.query(sql, [...params]));
    },
    async exec(sql: string): Promise<void> {
      // No parameters: pg uses the simple-query protocol, which accepts several statements.
      await client.query(sql);
    },
    copyFrom: (sql: string, data: Uint8Array): Promise<number> => copyFromStdin(client, sql, data),
  };
}

class PostgresDatabase implements SqlDatabase {
  readonly kind = 'postgres' as const;
  private readonly guard = new TransactionGuard();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly listener: PostgresNotificationListener,
    readonly schema: string,
  ) {}

  async query<Row = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    this.guard.assertOutside('query');
    return resultOf<Row>(await this.pool.query(sql, [...params]));
  }

  async exec(sql: string): Promise<void> {
    this.guard.assertOutside('exec');
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.guard.assertOutside('transaction');
    const client = await this.pool.connect();
    // A connection whose ROLLBACK failed is in an unknown state: destroy it, never reuse it.
    let unusable: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const result = await this.guard.run(executorOf(client), fn);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackErr: Error) => {
          unusable = rollbackErr;
        });
        throw err;
      }
    } finally {
      client.release(unusable);
    }
  }

  async listen(channel: string, handler: NotificationHandler, options?: ListenOptions): Promise<() => Promise<void>> {
    this.guard.assertOutside('listen');
    return this.listener.listen(channel, handler, options);
  }

  async notify(channel: string, payload: string): Promise<void> {
    await this.query('SELECT pg_notify($1, $2)', [sqlIdentifier('channel', channel), payload]);
  }

  async ping(): Promise<void> {
    this.guard.assertOutside('ping');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`postgres did not answer a ping within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.pool.query('SELECT 1'), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    this.closing ??= Promise.all([this.listener.close(), this.pool.end()]).then(() => undefined);
    return this.closing;
  }
}
