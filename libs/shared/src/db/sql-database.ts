// The one database port every service codes against. Two implementations sit behind it:
// a `pg` pool on a real Postgres server, and PGlite (the Postgres engine compiled to WASM)
// for `npm start` without a server and for fast tests. Both speak the same SQL dialect, so
// the SQL a service writes — and its migrations — run unchanged on either.

export interface QueryResult<Row> {
  rows: Row[];
  /** Rows returned by a SELECT, or rows changed by INSERT/UPDATE/DELETE; 0 for DDL. */
  rowCount: number;
}

/** Runs statements on one session: the pool (outside a transaction) or a transaction's connection. */
export interface SqlExecutor {
  /**
   * One statement with `$1`, `$2` ... placeholders. Values travel as bind parameters,
   * never spliced into the text. Errors carry the Postgres SQLSTATE in `code` on both
   * engines (e.g. '23505' for a unique violation).
   */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** A script of one or more statements without parameters (migrations, fixtures). */
  exec(sql: string): Promise<void>;
  /**
   * Postgres only (absent on PGlite): `COPY table (columns) FROM STDIN` with `data` in the
   * format the statement names, for bulk loads; resolves with the rows copied.
   */
  copyFrom?(sql: string, data: Uint8Array): Promise<number>;
}

export type NotificationHandler = (payload: string) => void;

export interface ListenOptions {
  /**
   * Called after the notification connection was lost and re-established. Notifications
   * sent while it was down are gone, so a subscriber that caches state (the policy
   * engine) should reload from the table here instead of trusting it missed nothing.
   */
  onReconnect?: () => void;
}

export type DatabaseKind = 'postgres' | 'pglite';

export interface SqlDatabase extends SqlExecutor {
  readonly kind: DatabaseKind;
  /** The schema this service owns; unqualified table names resolve here and only here. */
  readonly schema: string;
  /**
   * BEGIN, run `fn` with an executor bound to the transaction, COMMIT; ROLLBACK if `fn`
   * throws (the error is rethrown). Nesting is refused: calling this object's `query`,
   * `exec`, `transaction`, `listen` or `notify` from inside `fn` throws, because on a pool
   * it would silently run outside the transaction and on PGlite (one connection) it would
   * deadlock. Use the `tx` passed in, or a savepoint (`tx.exec('SAVEPOINT x')`) if you
   * really need a partial rollback.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Delivers NOTIFY payloads on `channel` to `handler` until the returned function is
   * called. Handler errors are logged, never propagated into the database layer.
   * Channels are global to the database (like Postgres), not scoped to the schema.
   */
  listen(channel: string, handler: NotificationHandler, options?: ListenOptions): Promise<() => Promise<void>>;
  /** `pg_notify(channel, payload)`; listeners in every process on this database receive it. */
  notify(channel: string, payload: string): Promise<void>;
  /** Resolves when the database answers `SELECT 1`; rejects (in bounded time) otherwise. */
  ping(): Promise<void>;
  /** Ends connections (or releases the embedded engine). Idempotent. */
  close(): Promise<void>;
}

/** Thrown on misuse of the API (nested transactions, bad identifiers): a bug in the caller. */
export class DatabaseUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUsageError';
  }
}
