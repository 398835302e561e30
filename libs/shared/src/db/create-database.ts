import { createLogger, type Logger } from '../logging/index.js';
import { sqlIdentifier } from './identifiers.js';
import { openPgliteDatabase } from './pglite-database.js';
import { openPostgresDatabase } from './postgres-database.js';
import { DatabaseUsageError, type SqlDatabase } from './sql-database.js';

export interface DatabaseOptions {
  /** postgres:// URL of a real server. When absent, the embedded engine (PGlite) is used. */
  url?: string;
  /** PGlite only: directory holding the data (shared by services in one process); in memory when absent. */
  dataDir?: string;
  /** The schema this service owns; every session resolves unqualified names in it alone. */
  schema: string;
  logger?: Logger;
  /** Postgres only: maximum pooled connections (default 10). */
  poolMax?: number;
  /** Postgres only: server-side statement timeout (default 30 s). PGlite does not enforce one. */
  statementTimeoutMs?: number;
}

/**
 * The one way a service gets its database. With a URL: a `pg` pool on that server. Without:
 * PGlite, the same Postgres engine in-process, so `npm start` and unit tests need no server.
 * Nothing connects yet for Postgres (the pool opens connections on first use), so a service
 * can start, report NOT_SERVING and retry rather than crash while the database is down.
 */
export async function createDatabase(opts: DatabaseOptions): Promise<SqlDatabase> {
  const schema = sqlIdentifier('schema', opts.schema);
  const logger = opts.logger ?? createLogger({ service: 'aegis-db', level: 'warn' });
  if (opts.url !== undefined) {
    // An empty DATABASE_URL is a deployment mistake, not a request for the embedded engine:
    // silently running production on an in-process database would lose data.
    if (opts.url.trim() === '') throw new DatabaseUsageError('database url is empty; omit it to use the embedded engine');
    if (opts.dataDir !== undefined) throw new DatabaseUsageError('give either a database url or a dataDir, not both');
    const { url, poolMax, statementTimeoutMs } = opts;
    return openPostgresDatabase({ url, schema, logger, poolMax, statementTimeoutMs });
  }
  return openPgliteDatabase({ schema, logger, dataDir: opts.dataDir });
}
