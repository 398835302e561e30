import type { SqlExecutor } from '@aegis/shared';
import type { PriceRow } from '../../src/prices/price.js';
import type { PriceStore } from '../../src/prices/price-store.js';
import { Pricer } from '../../src/prices/pricer.js';

const PLATFORM = 'default';

function row(tenantId: string, promptNanos: bigint, effectiveMs = 0): PriceRow {
  return {
    priceId: `${tenantId}-${promptNanos}`, tenantId, provider: 'openai', model: 'gpt-4o', currency: 'USD', prompt: promptNanos, completion: 1n,
    cachedPrompt: undefined, cacheWrite: undefined, reasoning: undefined, effectiveTime: new Date(effectiveMs), tokenizer: '', createTime: new Date(0), createdBy: 't',
  };
}

/** A store answering from an array the test changes, counting the reads that reach it. */
function storeOf(rows: PriceRow[]) {
  const reads: { executor: SqlExecutor | undefined }[] = [];
  const store = {
    async pricesFor(tenantIds: readonly string[], _models: unknown, executor?: SqlExecutor) {
      reads.push({ executor });
      return rows.filter((r) => tenantIds.includes(r.tenantId));
    },
  } as unknown as PriceStore;
  return { store, reads };
}

describe('Pricer cache', () => {
  test('reuses a model price within the TTL, and reads again after it', async () => {
    let now = 1_000;
    const rows = [row(PLATFORM, 100n)];
    const { store, reads } = storeOf(rows);
    const pricer = new Pricer(store, PLATFORM, { cacheMs: 5_000, now: () => now });
    expect((await pricer.price('t1', 'openai', 'gpt-4o', new Date(now))).prompt).toBe(100n);
    expect((await pricer.price('t1', 'openai', 'gpt-4o', new Date(now))).prompt).toBe(100n);
    expect(reads).toHaveLength(1);
    rows.push(row('t1', 200n));
    now += 5_000;
    expect((await pricer.price('t1', 'openai', 'gpt-4o', new Date(now))).prompt).toBe(200n);
    expect(reads).toHaveLength(2);
  });

  test("a tenant's change drops only its entries; the platform's drops everyone's", async () => {
    const rows = [row(PLATFORM, 100n)];
    const { store, reads } = storeOf(rows);
    const pricer = new Pricer(store, PLATFORM, { cacheMs: 60_000, now: () => 0 });
    await pricer.price('t1', 'openai', 'gpt-4o', new Date(0));
    await pricer.price('t2', 'openai', 'gpt-4o', new Date(0));
    rows.push(row('t1', 300n));
    pricer.invalidate('t1');
    expect((await pricer.price('t1', 'openai', 'gpt-4o', new Date(0))).prompt).toBe(300n);
    expect((await pricer.price('t2', 'openai', 'gpt-4o', new Date(0))).prompt).toBe(100n);
    expect(reads).toHaveLength(3);
    rows.push(row(PLATFORM, 50n, 1));
    pricer.invalidate(PLATFORM);
    expect((await pricer.price('t2', 'openai', 'gpt-4o', new Date(10))).prompt).toBe(50n);
    expect(reads).toHaveLength(4);
  });

  test('a load that started before an invalidation is not cached after it', async () => {
    const rows = [row(PLATFORM, 100n)];
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const slow = {
      async pricesFor(tenantIds: readonly string[]) {
        const answer = rows.filter((r) => tenantIds.includes(r.tenantId));
        await gate;
        return answer;
      },
    } as unknown as PriceStore;
    const pricer = new Pricer(slow, PLATFORM, { cacheMs: 60_000, now: () => 0 });
    const first = pricer.price('t1', 'openai', 'gpt-4o', new Date(0));
    rows.push(row('t1', 300n));
    pricer.invalidate('t1');
    release();
    expect((await first).prompt).toBe(100n);
    expect((await pricer.price('t1', 'openai', 'gpt-4o', new Date(0))).prompt).toBe(300n);
  });

  test('inside a transaction, and with the cache off, every price is read from the store', async () => {
    const { store, reads } = storeOf([row(PLATFORM, 100n)]);
    const tx = {} as SqlExecutor;
    const cached = new Pricer(store, PLATFORM, { cacheMs: 60_000, now: () => 0 });
    await cached.price('t1', 'openai', 'gpt-4o', new Date(0), tx);
    await cached.price('t1', 'openai', 'gpt-4o', new Date(0), tx);
    const off = new Pricer(store, PLATFORM, { cacheMs: 0, now: () => 0 });
    await off.price('t1', 'openai', 'gpt-4o', new Date(0));
    await off.price('t1', 'openai', 'gpt-4o', new Date(0));
    expect(reads.map((r) => r.executor === tx)).toEqual([true, true, false, false]);
  });

  test('an unknown model is NotFound, never a zero price', async () => {
    const { store } = storeOf([]);
    const pricer = new Pricer(store, PLATFORM, { cacheMs: 60_000, now: () => 0 });
    await expect(pricer.price('t1', 'openai', 'gpt-4o', new Date(0))).rejects.toThrow(/gpt-4o/);
  });
});
