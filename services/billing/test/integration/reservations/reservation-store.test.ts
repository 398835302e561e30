// ReservationStore and the usage outbox relay against the database itself, on Postgres and
// PGlite: one round trip per reserve and per commit, exact holds under concurrent reservations
// and commits, a stale budget cache caught by reserve_budget, and usage events left in the
// outbox (by a stopped instance, or while the event log was down) published by the next relay.
import { context, propagation, trace, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { createLogger, migrate, type EventPublisher, type SqlDatabase, type SqlExecutor } from '@aegis/shared';
import { createTestDatabase, createTestPglite, type TestDatabase } from '@aegis/shared/testing';
import { uuidv7 } from 'uuidv7';
import type { BudgetRow, Estimate } from '../../../src/budgets/budget.js';
import { BudgetStore } from '../../../src/budgets/budget-store.js';
import { TenantBudgets } from '../../../src/budgets/tenant-budgets.js';
import { ZERO_TOKENS } from '@aegis/pricing';
import { UTC_ZONES } from '../../../src/periods/tenant-zones.js';
import { ReservationStore, type CommittedUsage, type ReserveInput } from '../../../src/reservations/reservation-store.js';
import { MIGRATIONS_DIR } from '../../../src/usage/standalone-ledger.js';
import { usageOutboxRelay } from '../../../src/usage/usage-outbox.js';

const logger = createLogger({ service: 'billing-reservation-test', level: 'silent' });

/** Counts the statements sent, i.e. the round trips (a transaction adds BEGIN and COMMIT). */
function counting(db: SqlDatabase): { db: SqlDatabase; count: () => number; reset: () => void } {
  let n = 0;
  const wrap = (executor: SqlExecutor): SqlExecutor => ({
    ...executor,
    query: (sql, params) => {
      n++;
      return executor.query(sql, params);
    },
    exec: (sql) => {
      n++;
      return executor.exec(sql);
    },
  });
  const counted: SqlDatabase = Object.assign(Object.create(db) as SqlDatabase, wrap(db), {
    transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>) => {
      n += 2;
      return db.transaction((tx) => fn(wrap(tx)));
    },
  });
  return { db: counted, count: () => n, reset: () => (n = 0) };
}

function budget(tenantId: string, init: Partial<BudgetRow>): BudgetRow {
  const now = new Date();
  return {
    budgetId: uuidv7(), tenantId, name: 'b', userId: '', apiKeyId: '', amountLimit: undefined, currency: 'USD', tokenLimit: undefined,
    period: 'month', fixedStart: undefined, fixedEnd: undefined, timeZone: '', enforcement: 'hard', version: 1n, createTime: now, updateTime: now,
    updatedBy: 'test', ...init,
  };
}

const usage = (promptTokens: bigint): CommittedUsage => ({
  provider: 'openai', model: 'gpt-4', tokens: { ...ZERO_TOKENS, prompt: promptTokens }, occurTime: new Date(), estimated: false, agentId: '',
  actor: { id: 'tester', userId: 'tester' },
});

const reserveInput = (tenantId: string, requestId: string, estimate: Estimate, userId = 'u'): ReserveInput => ({
  tenantId, userId, apiKeyId: '', requestId, estimate, ttlMs: 60_000,
});

async function periodCounters(db: SqlDatabase, budgetId: string) {
  const { rows } = await db.query<{ spent_nanos: string; reserved_nanos: string; reserved_tokens: string }>(
    'SELECT spent_nanos, reserved_nanos, reserved_tokens FROM budget_periods WHERE budget_id = $1', [budgetId]);
  return { reservedNanos: BigInt(rows[0]!.reserved_nanos), reservedTokens: BigInt(rows[0]!.reserved_tokens) };
}

const outboxIds = async (db: SqlDatabase) => (await db.query<{ event_id: string }>('SELECT event_id FROM usage_outbox ORDER BY event_id')).rows.map((r) => r.event_id);

describe.each([
  ['Postgres', () => createTestDatabase({ schema: 'billing' })],
  ['PGlite', () => createTestPglite({ schema: 'billing' })],
] as const)('reservations in the database (%s)', (_name, open) => {
  let db: TestDatabase;
  let budgets: BudgetStore;
  beforeAll(async () => {
    db = await open();
    await migrate(db, { migrationsDir: MIGRATIONS_DIR, logger });
    budgets = new BudgetStore(db);
  });
  afterAll(async () => {
    await db?.close();
  });

  const storeOn = (on: SqlDatabase) => new ReservationStore({ db: on, budgets: new TenantBudgets({ store: budgets }), zones: UTC_ZONES });

  test('a reserve and a commit are one round trip each (budgets cached after the first reserve)', async () => {
    const tenantId = `rt-${uuidv7()}`;
    const hard = budget(tenantId, { amountLimit: 1_000_000_000n });
    await budgets.insert(hard);
    await budgets.insert(budget(tenantId, { userId: 'u', tokenLimit: 1_000_000n, enforcement: 'soft' }));
    const counted = counting(db);
    const store = storeOn(counted.db);
    await store.reserve(reserveInput(tenantId, 'warm-up', { nanos: 1n, tokens: 1n }), new Date());
    counted.reset();
    const reserved = await store.reserve(reserveInput(tenantId, 'r1', { nanos: 3_000_000n, tokens: 100n }), new Date());
    expect(counted.count()).toBe(1);
    if (!reserved.allowed) throw new Error('refused');
    // Both budgets apply (the soft one is user u's); each holds the warm-up and this estimate.
    expect(reserved.states.map((s) => s.counters.reservedNanos)).toEqual([3_000_001n, 3_000_001n]);
    counted.reset();
    const committed = await store.commit(tenantId, reserved.reservation.reservationId, { nanos: 2_000_000n, tokens: 50n }, usage(50n), new Date());
    expect(counted.count()).toBe(1);
    expect(committed).toMatchObject({ state: 'committed', committedNanos: 2_000_000n, usageEventId: reserved.reservation.usageEventId });
    expect(await periodCounters(db, hard.budgetId)).toEqual({ reservedNanos: 2_000_001n, reservedTokens: 51n });
    // Idempotent: the same request id gives the same reservation, a second commit changes nothing.
    const again = await store.reserve(reserveInput(tenantId, 'r1', { nanos: 3_000_000n, tokens: 100n }), new Date());
    expect(again.allowed && again.reservation.reservationId).toBe(reserved.reservation.reservationId);
    await store.commit(tenantId, reserved.reservation.reservationId, { nanos: 9n, tokens: 9n }, usage(9n), new Date());
    expect(await periodCounters(db, hard.budgetId)).toEqual({ reservedNanos: 2_000_001n, reservedTokens: 51n });
    expect(await outboxIds(db)).toContain(reserved.reservation.usageEventId);
    await db.query('DELETE FROM usage_outbox');
  });

  test('a budget created or tightened behind the cache is enforced at once (reserve_budget answers stale)', async () => {
    const tenantId = `stale-${uuidv7()}`;
    const store = storeOn(db);
    expect((await store.reserve(reserveInput(tenantId, 'before', { nanos: 10n, tokens: 0n }), new Date())).allowed).toBe(true);
    // Another instance creates a budget; this one never hears of it.
    const created = budget(tenantId, { amountLimit: 15n });
    await budgets.insert(created);
    const refused = await store.reserve(reserveInput(tenantId, 'after-create', { nanos: 20n, tokens: 0n }), new Date());
    expect(refused).toMatchObject({ allowed: false, blockingBudgetId: created.budgetId });
    expect((await store.reserve(reserveInput(tenantId, 'fits', { nanos: 10n, tokens: 0n }), new Date())).allowed).toBe(true);
    // ... and tightens it: the cached version no longer matches.
    expect(await budgets.update({ ...created, amountLimit: 10n, version: 2n }, 1n)).toBe(true);
    expect((await store.reserve(reserveInput(tenantId, 'after-update', { nanos: 1n, tokens: 0n }), new Date())).allowed).toBe(false);
  });

  test('concurrent reservations and commits on two stores keep the holds exact and never overspend', async () => {
    const tenantId = `race-${uuidv7()}`;
    const estimate = 3_000_000n;
    const limit = 100_000_000n; // room for 33 estimates
    const hard = budget(tenantId, { amountLimit: limit });
    const perUser = budget(tenantId, { userId: 'u1', amountLimit: 10n * estimate });
    await budgets.insert(hard);
    await budgets.insert(perUser);
    // Two instances: their own caches, the same database (PGlite runs them one at a time).
    const stores = [storeOn(db), storeOn(db)];
    const results = await Promise.all(Array.from({ length: 120 }, (_, i) =>
      stores[i % 2]!.reserve(reserveInput(tenantId, `race-${i}`, { nanos: estimate, tokens: 10n }, `u${i % 4}`), new Date())));
    const allowed = results.flatMap((r) => (r.allowed ? [r.reservation] : []));
    expect(allowed).toHaveLength(Number(limit / estimate));
    expect(allowed.filter((r) => r.userId === 'u1').length).toBeLessThanOrEqual(10);
    expect((await periodCounters(db, hard.budgetId)).reservedNanos).toBe(BigInt(allowed.length) * estimate);
    const actual = (i: number) => (i % 3 === 0 ? estimate / 2n : estimate);
    await Promise.all(allowed.map((r, i) => stores[i % 2]!.commit(tenantId, r.reservationId, { nanos: actual(i), tokens: 5n }, usage(1n), new Date())));
    const expected = allowed.reduce((sum, _r, i) => sum + actual(i), 0n);
    expect(await periodCounters(db, hard.budgetId)).toEqual({ reservedNanos: expected, reservedTokens: 5n * BigInt(allowed.length) });
    const u1 = allowed.flatMap((r, i) => (r.userId === 'u1' ? [actual(i)] : [])).reduce((a, b) => a + b, 0n);
    expect((await periodCounters(db, perUser.budgetId)).reservedNanos).toBe(u1);
    expect(new Set(await outboxIds(db))).toEqual(new Set(allowed.map((r) => r.usageEventId)));
    await db.query('DELETE FROM usage_outbox');
  });

  test('the relay publishes what a stopped instance or a down event log left in the outbox', async () => {
    const tenantId = `outbox-${uuidv7()}`;
    const store = storeOn(db);
    const commitOne = async (requestId: string) => {
      const r = await store.reserve(reserveInput(tenantId, requestId, { nanos: 1n, tokens: 1n }), new Date());
      if (!r.allowed) throw new Error('refused');
      await store.commit(tenantId, r.reservation.reservationId, { nanos: 1n, tokens: 1n }, usage(7n), new Date());
      return r.reservation;
    };
    // Committed, then the instance stopped before its relay ran: the rows wait in the outbox.
    const left = [await commitOne('left-1'), await commitOne('left-2')];
    // The event log is down: publishing fails, the commit did not need it, the rows stay.
    let down = true;
    const published: Event[] = [];
    const publisher = { publish: async (...events: Event[]) => {
      if (down) throw new Error('broker not reachable');
      published.push(...events);
    } } as unknown as EventPublisher;
    const relay = usageOutboxRelay({ db, publisher, logger, retryMs: 60_000 });
    expect(await relay.flush()).toBe(0);
    const whileDown = await commitOne('while-down');
    expect(await relay.flush()).toBe(0);
    expect(await outboxIds(db)).toEqual([...left, whileDown].map((r) => r.usageEventId).sort());
    // Back up: everything goes out, each event once, built from the reservation and the commit.
    down = false;
    expect(await relay.flush()).toBe(3);
    expect(await outboxIds(db)).toEqual([]);
    expect(published.map((e) => e.id).sort()).toEqual([...left, whileDown].map((r) => r.usageEventId).sort());
    const event = published.find((e) => e.id === whileDown.usageEventId)!;
    expect(event).toMatchObject({ tenantId, source: 'billing', action: 'usage.recorded', actor: { id: 'tester' } });
    expect(event.payload.case === 'usage' && event.payload.value).toMatchObject({
      reservationId: whileDown.reservationId, requestId: 'while-down', userId: 'u', provider: 'openai', model: 'gpt-4', tokens: { promptTokens: 7n },
    });
    // A relay that died after claiming a row: the row goes out once its lease runs out.
    const claimed = await commitOne('claimed');
    await db.query(`UPDATE usage_outbox SET claimed_until = now() + interval '1 hour'`);
    expect(await relay.flush()).toBe(0);
    await db.query(`UPDATE usage_outbox SET claimed_until = now() - interval '1 second'`);
    expect(await relay.flush()).toBe(1);
    expect(published.at(-1)!.id).toBe(claimed.usageEventId);
    await relay.stop();
  });

  test("each event is published in its commit's trace context, and one without a trace in none", async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    try {
      const tenantId = `outbox-trace-${uuidv7()}`;
      const store = storeOn(db);
      const traceparent = (n: number) => `00-${String(n).padStart(32, 'a')}-${String(n).padStart(16, 'b')}-01`;
      const commitOne = async (requestId: string, carrier?: Record<string, string>) => {
        const r = await store.reserve(reserveInput(tenantId, requestId, { nanos: 1n, tokens: 1n }), new Date());
        if (!r.allowed) throw new Error('refused');
        await store.commit(tenantId, r.reservation.reservationId, { nanos: 1n, tokens: 1n }, { ...usage(3n), ...(carrier !== undefined ? { trace: carrier } : {}) }, new Date());
        return r.reservation.usageEventId;
      };
      const traced = [await commitOne('t-1', { traceparent: traceparent(1) }), await commitOne('t-2', { traceparent: traceparent(2) })];
      const untraced = await commitOne('t-3');
      const published: { event: Event; activeTraceId: string | undefined }[] = [];
      const publisher = { publish: async (...events: Event[]) => {
        for (const event of events) published.push({ event, activeTraceId: trace.getSpanContext(context.active())?.traceId });
      } } as unknown as EventPublisher;
      const relay = usageOutboxRelay({ db, publisher, logger, retryMs: 60_000 });
      // Flushed from inside some other request's trace: no row may take that one.
      const other = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: 1 });
      expect(await context.with(other, () => relay.flush())).toBe(3);
      await relay.stop();
      const byId = new Map(published.map((p) => [p.event.id, p]));
      expect(byId.get(traced[0]!)!.event.trace?.traceparent).toBe(traceparent(1));
      expect(byId.get(traced[1]!)!.event.trace?.traceparent).toBe(traceparent(2));
      expect(byId.get(traced[1]!)!.activeTraceId).toBe(String(2).padStart(32, 'a'));
      expect(byId.get(untraced)!.event.trace).toBeUndefined();
      expect(byId.get(untraced)!.activeTraceId).toBeUndefined();
    } finally {
      propagation.disable();
      context.disable();
    }
  });
});
