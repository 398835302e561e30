// The ledger consumer with AEGIS_BILLING_LEDGER_CONCURRENCY=4 (the service default) under the
// conditions that make booking transactions contend: every event published twice, the copy
// under another key so it lands on another partition (a replay racing the original: the same
// event ids in one group commit and, while two members overlap, in concurrent transactions), a
// tenant budget and a user budget whose period rows every transaction updates, more partitions
// than the concurrency, and a rebalance (a second member joins, the first leaves mid-stream). It must finish (no hang: progress is
// watched, a stall fails the test with where it stopped), book each event once, and leave the
// budget counters equal to the ledger.
import { randomBytes } from 'node:crypto';
import type { SubscriptionHandle } from '@aegis/shared';
import { BudgetStore } from '../../../src/budgets/budget-store.js';
import type { BudgetRow } from '../../../src/budgets/budget.js';
import { UTC_ZONES } from '../../../src/periods/tenant-zones.js';
import { PriceStore } from '../../../src/prices/price-store.js';
import { startLedgerConsumer } from '../../../src/usage/ledger-consumer.js';
import { LedgerWriter } from '../../../src/usage/ledger-writer.js';
import { ledgerTotals, usageWorkload } from '../../support/usage-workload.js';
import { ledgerBackend, logger, seedPrices } from './ledger-harness.js';

const EVENTS = { real: 6_000, embedded: 2_000 };
const STALL_MS = 60_000;

function fixedBudget(tenantId: string, userId: string): BudgetRow {
  const at = new Date();
  return {
    budgetId: crypto.randomUUID(), tenantId, name: `all time ${userId || 'tenant'}`, userId, apiKeyId: '', amountLimit: 10n ** 18n, currency: 'USD', tokenLimit: undefined,
    period: 'fixed', fixedStart: new Date(0), fixedEnd: new Date('2100-01-01T00:00:00Z'), timeZone: 'UTC', enforcement: 'hard', version: 1n, createTime: at, updateTime: at, updatedBy: 'test',
  };
}

describe.each(['real', 'embedded'] as const)('ledger consumer, 4 partitions at once (%s)', (kind) => {
  test('replayed events on other partitions, shared budget rows and a rebalance: finishes, exact, budgets equal the ledger', async () => {
    const backend = await ledgerBackend(kind);
    const tenantId = `conc-${randomBytes(4).toString('hex')}`;
    const db = await backend.openDb();
    const bus = await backend.openBus();
    const handles: SubscriptionHandle[] = [];
    try {
      await seedPrices(db, tenantId);
      const budgets = new BudgetStore(db);
      const tenantBudget = fixedBudget(tenantId, '');
      const userBudget = fixedBudget(tenantId, 'u7');
      await budgets.insert(tenantBudget);
      await budgets.insert(userBudget);
      await bus.ensureTopics([{ topic: backend.topic, partitions: 6 }]);
      const writer = new LedgerWriter({ db, prices: new PriceStore(db), budgets, zones: UTC_ZONES, platformTenantId: 'default', logger });
      const groupId = `${backend.topic}-ledger`;
      const member = () => startLedgerConsumer({ bus, writer, topic: backend.topic, groupId, fromBeginning: true, batchSize: 100, partitionsConcurrently: 4, logger });

      const producer = bus.producer();
      const chunks = [...usageWorkload(EVENTS[kind], tenantId, backend.topic, 23, 500)];
      const reference = chunks[chunks.length - 1]!.reference;
      let userCost = 0n;
      handles.push(await member());
      for (const [i, chunk] of chunks.entries()) {
        await producer.publish([...chunk.messages, ...chunk.messages.map((m) => ({ ...m, key: `${m.key}#replayed` }))]);
        if (i === 1) handles.push(await member()); // rebalance: a second member joins
        if (i === Math.floor(chunks.length / 2)) await handles.shift()!.stop(); // and the first leaves mid-stream
      }
      await producer.close();

      // Watch progress: any stall of STALL_MS is the hang this test exists to catch.
      let last = -1n;
      let lastChange = Date.now();
      for (;;) {
        const { events } = await ledgerTotals(db, tenantId);
        if (events >= BigInt(reference.events)) break;
        if (events !== last) {
          last = events;
          lastChange = Date.now();
        }
        if (Date.now() - lastChange > STALL_MS) throw new Error(`ledger stalled at ${events} of ${reference.events} events for ${STALL_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await Promise.all(handles.splice(0).map((h) => h.stop()));

      const totals = await ledgerTotals(db, tenantId);
      expect(totals.rejected).toBe(0n);
      expect(totals.events).toBe(BigInt(reference.events));
      expect(totals.costNanos).toBe(reference.costNanos);
      expect(totals.rollupCostNanos).toBe(reference.costNanos);
      expect(totals.rollupRequests).toBe(BigInt(reference.events));
      const counters = await budgets.counters([{ budgetId: tenantBudget.budgetId, periodStart: new Date(0) }, { budgetId: userBudget.budgetId, periodStart: new Date(0) }]);
      const spent = new Map(counters.map((c) => [c.budgetId, c.spentNanos]));
      const user = await db.query<{ cost: string | null }>('SELECT sum(cost_nanos)::text cost FROM usage_ledger WHERE tenant_id = $1 AND user_id = $2', [tenantId, 'u7']);
      userCost = BigInt(user.rows[0]!.cost ?? 0);
      expect(userCost).toBeGreaterThan(0n);
      expect(spent.get(tenantBudget.budgetId)).toBe(reference.costNanos);
      expect(spent.get(userBudget.budgetId)).toBe(userCost);
    } finally {
      await Promise.all(handles.map((h) => h.stop()));
      await bus.close();
      await db.close();
      await backend.tearDown();
    }
  }, 6 * 60_000);
});
