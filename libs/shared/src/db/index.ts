export {
  DatabaseUsageError,
  type DatabaseKind,
  type ListenOptions,
  type NotificationHandler,
  type QueryResult,
  type SqlDatabase,
  type SqlExecutor,
} from './sql-database.js';
export { createDatabase, type DatabaseOptions } from './create-database.js';
export { migrate, type AppliedMigration, type MigrateOptions } from './migrate.js';
export { MigrationError, migrationChecksum, orderMigrationFiles, readMigrationFiles, type MigrationFile } from './migration-files.js';
export { isSqlIdentifier, quoteIdentifier, sqlIdentifier } from './identifiers.js';
