// Text that COPY treats specially (tab, newline, backslash, carriage return) and non-ASCII text
// is booked and read back unchanged, on Postgres (COPY) and PGlite (INSERT ... unnest); a
// redelivered batch (the COPY fails on the primary key, the INSERT path skips booked ids)
// changes nothing.
import { randomBytes } from 'node:crypto';
import { BudgetStore } from '../../../src/budgets/budget-store.js';
import { UTC_ZONES } from '../../../src/periods/tenant-zones.js';
import { PriceStore } from '../../../src/prices/price-store.js';
import { LedgerWriter } from '../../../src/usage/ledger-writer.js';
import type { UsageEntry } from '../../../src/usage/usage-entry.js';
import { ledgerTotals } from '../../support/usage-workload.js';
import { ledgerBackend, logger, seedPrices } from './ledger-harness.js';

describe.each(['real', 'embedded'] as const)('ledger text round trip (%s)', (kind) => {
  test('special and non-ASCII characters survive; a redelivery books nothing twice', async () => {
    const backend = await ledgerBackend(kind);
    const tenantId = `text-${randomBytes(4).toString('hex')}`;
    const db = await backend.openDb();
    try {
      await seedPrices(db, tenantId);
      const writer = new LedgerWriter({ db, prices: new PriceStore(db), budgets: new BudgetStore(db), zones: UTC_ZONES, platformTenantId: 'default', logger });
      const odd = ['tab\there', 'new\nline', 'back\\slash', 'cr\rhere', 'ünïcødé ✓', '\\N'];
      const entries: UsageEntry[] = odd.map((text, i) => ({
        eventId: `${tenantId}-${i}`, tenantId, userId: text, apiKeyId: `k${text}`, provider: 'openai', model: 'gpt-4o',
        tokens: { prompt: 1000n, completion: 10n, cachedPrompt: 0n, cacheWrite: 0n, reasoning: 0n },
        requestId: text, occurTime: new Date(), estimated: false, reservationId: '', agentId: text,
      }));
      expect((await writer.book(entries)).booked).toBe(odd.length);
      // Redelivered with one new entry: only that one is booked.
      const extra = { ...entries[0]!, eventId: `${tenantId}-extra` };
      expect((await writer.book([...entries, extra])).booked).toBe(1);
      const rows = await db.query<{ event_id: string; user_id: string; api_key_id: string; request_id: string; agent_id: string }>(
        'SELECT event_id, user_id, api_key_id, request_id, agent_id FROM usage_ledger WHERE tenant_id = $1 ORDER BY event_id', [tenantId]);
      const byId = new Map(rows.rows.map((r) => [r.event_id, r]));
      for (const [i, text] of odd.entries()) {
        expect(byId.get(`${tenantId}-${i}`)).toEqual({ event_id: `${tenantId}-${i}`, user_id: text, api_key_id: `k${text}`, request_id: text, agent_id: text });
      }
      const rollupUsers = await db.query<{ user_id: string }>('SELECT DISTINCT user_id FROM usage_rollups WHERE tenant_id = $1', [tenantId]);
      expect(rollupUsers.rows.map((r) => r.user_id).sort()).toEqual([...odd].sort());
      const totals = await ledgerTotals(db, tenantId);
      expect(totals.events).toBe(BigInt(odd.length + 1));
      expect(totals.rollupRequests).toBe(BigInt(odd.length + 1));
      expect(totals.rollupCostNanos).toBe(totals.costNanos);
    } finally {
      await db.close();
      await backend.tearDown();
    }
  }, 120_000);
});
