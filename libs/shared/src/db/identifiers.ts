import { DatabaseUsageError } from './sql-database.js';

// Schema and channel names end up in SQL text (SET search_path, LISTEN, CREATE SCHEMA)
// where bind parameters are not allowed. Rather than escaping arbitrary input, we accept
// only lowercase identifiers that need no quoting at all: what Postgres would fold an
// unquoted name to anyway, at most 63 bytes (NAMEDATALEN - 1), and never `pg_*` (reserved
// for system schemas).
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function isSqlIdentifier(value: string): boolean {
  return IDENTIFIER.test(value) && !value.startsWith('pg_');
}

/** Returns `value` if it is a safe identifier, else throws naming `what` (never echoing huge input). */
export function sqlIdentifier(what: string, value: string): string {
  if (!isSqlIdentifier(value)) {
    const shown = value.length > 70 ? `${value.slice(0, 70)}…` : value;
    throw new DatabaseUsageError(
      `${what} ${JSON.stringify(shown)} is not allowed: use 1-63 characters of [a-z0-9_], starting with a letter or _, not pg_`,
    );
  }
  return value;
}

/** Double-quoted form of an already validated identifier (quotes keep reserved words like `user` legal). */
export function quoteIdentifier(what: string, value: string): string {
  return `"${sqlIdentifier(what, value)}"`;
}
