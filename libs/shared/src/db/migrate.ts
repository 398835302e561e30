import type { Logger } from '../logging/index.js';
import { quoteIdentifier } from './identifiers.js';
import { MigrationError, pad, readMigrationFiles, type MigrationFile } from './migration-files.js';
import type { SqlDatabase, SqlExecutor } from './sql-database.js';

export interface MigrateOptions {
  /** Directory of NNNN_description.sql files (usually `services/<name>/migrations`). */
  migrationsDir: string;
  /** The schema to migrate; defaults to, and normally is, the database object's own schema. */
  schema?: string;
  logger?: Logger;
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

interface LedgerRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Brings `schema` up to date with the migration files and returns the ones this call
 * applied (empty when already current, or when another instance applied them).
 *
 * Each migration runs in its own transaction together with its ledger row, so a failed
 * script leaves no trace and the next start retries it. Every transaction first takes an
 * advisory lock keyed by the schema: instances of a service starting together queue up,
 * and each re-reads the ledger after getting the lock, so each file is applied once.
 */
export async function migrate(db: SqlDatabase, opts: MigrateOptions): Promise<AppliedMigration[]> {
  const schema = opts.schema ?? db.schema;
  const files = await readMigrationFiles(opts.migrationsDir);
  const applied: AppliedMigration[] = [];
  for (;;) {
    const next = await db.transaction((tx) => applyNext(tx, schema, files, opts.logger));
    if (!next) return applied;
    applied.push({ version: next.version, name: next.name, checksum: next.checksum });
    opts.logger?.info({ schema, migration: next.file }, 'applied migration');
  }
}

async function applyNext(tx: SqlExecutor, schema: string, files: MigrationFile[], logger?: Logger): Promise<MigrationFile | undefined> {
  const quoted = quoteIdentifier('schema', schema);
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`aegis.migrate.${schema}`]);
  // Inside the lock: two instances creating the schema at once would otherwise collide.
  await tx.exec(
    `CREATE SCHEMA IF NOT EXISTS ${quoted};
     CREATE TABLE IF NOT EXISTS ${quoted}.schema_migrations (
       version    integer     PRIMARY KEY,
       name       text        NOT NULL,
       checksum   text        NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now()
     );
     SET LOCAL search_path TO ${quoted};`,
  );
  const { rows } = await tx.query<LedgerRow>(`SELECT version, name, checksum FROM ${quoted}.schema_migrations ORDER BY version`);
  const ledger = new Map(rows.map((row) => [row.version, row]));
  checkAppliedUnchanged(schema, files, ledger, logger);

  const next = files.find((file) => !ledger.has(file.version));
  if (!next) return undefined;
  try {
    await tx.exec(next.sql);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new MigrationError(`migration ${next.file} failed in schema "${schema}": ${reason}`, { cause: err });
  }
  await tx.query(`INSERT INTO ${quoted}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`, [
    next.version,
    next.name,
    next.checksum,
  ]);
  return next;
}

function checkAppliedUnchanged(schema: string, files: MigrationFile[], ledger: Map<number, LedgerRow>, logger?: Logger): void {
  for (const file of files) {
    const row = ledger.get(file.version);
    if (!row) continue;
    if (row.name !== file.name || row.checksum !== file.checksum) {
      throw new MigrationError(
        `migration ${file.file} was changed after it was applied to schema "${schema}" ` +
          `(applied as ${pad(row.version)}_${row.name}.sql, checksum ${row.checksum.slice(0, 12)}…, file now ${file.checksum.slice(0, 12)}…). ` +
          'Applied migrations are immutable: restore the file and add a new migration instead.',
      );
    }
  }
  // Newer migrations than this code knows about: a newer release ran first (rollback or
  // mixed versions during a rolling deploy). Migrations are written to stay compatible
  // with the previous release, so this is worth a warning, not a refusal to start.
  const unknown = [...ledger.keys()].filter((version) => version > files.length);
  if (unknown.length > 0) {
    logger?.warn({ schema, versions: unknown }, 'schema has migrations newer than this release knows about');
  }
}
