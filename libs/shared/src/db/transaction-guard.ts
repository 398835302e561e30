import { AsyncLocalStorage } from 'node:async_hooks';
import { DatabaseUsageError, type QueryResult, type SqlExecutor } from './sql-database.js';

interface TransactionScope {
  open: boolean;
}

/**
 * Knows whether the current async call chain is inside one of our transactions, so that
 * using the database object instead of `tx` fails loudly instead of escaping the
 * transaction (pool) or deadlocking (PGlite's single connection). The scope is a mutable
 * flag rather than mere presence because async work started inside `fn` (a timer, a
 * fire-and-forget promise) inherits the context and may legitimately run after COMMIT.
 */
export class TransactionGuard {
  private readonly context = new AsyncLocalStorage<TransactionScope>();

  assertOutside(operation: string): void {
    if (this.context.getStore()?.open) {
      throw new DatabaseUsageError(
        `db.${operation}() was called inside db.transaction(); use the tx executor passed to the callback (nested transactions are not supported)`,
      );
    }
  }

  /** Runs `fn` marked as inside a transaction, handing it `inner` wrapped so it refuses use after the end. */
  async run<T>(inner: SqlExecutor, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const scope: TransactionScope = { open: true };
    try {
      return await this.context.run(scope, () => fn(closable(inner, scope)));
    } finally {
      scope.open = false;
    }
  }
}

function closable(inner: SqlExecutor, scope: TransactionScope): SqlExecutor {
  const ensureOpen = (): void => {
    if (!scope.open) throw new DatabaseUsageError('transaction executor used after its transaction ended');
  };
  return {
    async query<Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
      ensureOpen();
      return inner.query<Row>(sql, params);
    },
    async exec(sql: string): Promise<void> {
      ensureOpen();
      return inner.exec(sql);
    },
    ...(inner.copyFrom !== undefined ? { copyFrom: copyFromOf(inner.copyFrom.bind(inner), ensureOpen) } : {}),
  };
}

function copyFromOf(copyFrom: (sql: string, data: Uint8Array) => Promise<number>, ensureOpen: () => void) {
  return async (sql: string, data: Uint8Array): Promise<number> => {
    ensureOpen();
    return copyFrom(sql, data);
  };
}
