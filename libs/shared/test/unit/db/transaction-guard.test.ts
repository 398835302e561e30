import { AsyncLocalStorage, executionAsyncResource } from 'node:async_hooks';
import { DatabaseUsageError, type SqlExecutor } from '../../../src/db/index.js';
import { TransactionGuard } from '../../../src/db/transaction-guard.js';

const executor: SqlExecutor = {
  query: async () => ({ rows: [], rowCount: 0 }),
  exec: async () => {},
};

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

// The guard turns its AsyncLocalStorage off between transactions (an enabled one taxes every
// promise of the process on Node 20): these pin that the refusals do not change with it.
describe('TransactionGuard', () => {
  it('refuses the database object inside a transaction, also after awaits and timers', async () => {
    const guard = new TransactionGuard();
    await guard.run(executor, async () => {
      expect(() => guard.assertOutside('query')).toThrow(DatabaseUsageError);
      await tick();
      expect(() => guard.assertOutside('query')).toThrow(DatabaseUsageError);
      await new Promise<void>((resolve) => setImmediate(() => {
        expect(() => guard.assertOutside('query')).toThrow(DatabaseUsageError);
        resolve();
      }));
    });
    expect(() => guard.assertOutside('query')).not.toThrow();
  });

  it('keeps refusing inside a transaction still open when another one ends', async () => {
    const guard = new TransactionGuard();
    let endFirst: () => void = () => {};
    const first = guard.run(executor, () => new Promise<void>((resolve) => (endFirst = resolve)));
    await guard.run(executor, async () => {
      endFirst();
      await first;
      await tick();
      expect(() => guard.assertOutside('query')).toThrow(DatabaseUsageError);
    });
    expect(() => guard.assertOutside('query')).not.toThrow();
  });

  it('lets work started in a transaction use the database once the transaction has ended, and refuses its tx', async () => {
    const guard = new TransactionGuard();
    let later: Promise<void> | undefined;
    let leaked: SqlExecutor | undefined;
    await guard.run(executor, async (tx) => {
      leaked = tx;
      later = (async () => {
        await tick();
        await tick();
        guard.assertOutside('query');
      })();
    });
    await expect(later).resolves.toBeUndefined();
    await expect(leaked!.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseUsageError);
  });

  it('refuses inside a transaction begun after an idle period, when its storage was switched off', async () => {
    const guard = new TransactionGuard();
    await guard.run(executor, async () => {});
    await tick();
    expect(() => guard.assertOutside('query')).not.toThrow();
    await guard.run(executor, async () => {
      await tick();
      expect(() => guard.assertOutside('transaction')).toThrow(DatabaseUsageError);
    });
  });

  it('leaves other AsyncLocalStorage instances of the process working', async () => {
    const guard = new TransactionGuard();
    const other = new AsyncLocalStorage<string>();
    await other.run('request-1', async () => {
      await guard.run(executor, async () => tick());
      await tick();
      expect(other.getStore()).toBe('request-1');
    });
    expect(typeof executionAsyncResource()).toBe('object');
  });
});
