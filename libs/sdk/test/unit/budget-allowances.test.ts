// Budget allowances against an in-memory ReservationService: the first request of a key takes
// the per-request path and a shared hold follows in the background; later requests are carved
// locally (no ReserveBudget) and settled in the background, grouped while a settle is in
// flight, retried with the same event ids, reported when lost; a carve goes back on release;
// close() settles what is pending and releases the shared hold. Sizing follows the budget room.
// A lost usage keeps its hold until expiry and pauses the tenant's allowances; a settle that says
// the budgets changed retires them; idle holds go back and idle pools go away; a settle after
// close() is reported lost; token counts whose parts exceed their wholes are refused.
import { Code, ConnectError, createClient, createRouterTransport, type ConnectRouter } from '@connectrpc/connect';
import { BudgetEnforcement, ReservationStatus } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import { ReservationService, type SettleUsageRequest } from '@aegis/proto/aegis/billing/v1/reservation_service_pb.js';
import { create } from '@bufbuild/protobuf';
import { BudgetStatusSchema } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import { PrincipalSchema } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { TokenUsageSchema } from '@aegis/proto/aegis/common/v1/tokens_pb.js';
import { costNanos, ZERO_TOKENS } from '@aegis/pricing';
import { BudgetAllowances, type BudgetAllowanceOptions } from '../../src/budget/allowances.js';
import { requestsPerHold } from '../../src/budget/allowance-sizing.js';
import { holdBudget, tokenUsage } from '../../src/guard/budget.js';
import type { BillingClients } from '../../src/clients.js';

// 1,000 nanos a prompt token, 2,000 a completion token (prices are per 1M tokens).
const PRICES = { prompt: 1_000_000_000n, completion: 2_000_000_000n };
const principal = create(PrincipalSchema, { tenantId: 'acme', userId: 'u1', apiKeyId: 'k1' });
const est = { provider: 'openai', model: 'gpt-4o', promptTokens: 10n, completionTokens: 100n, totalTokens: 110n };
const estimateNanos = 10n * 1_000n + 100n * 2_000n;
const usage = (prompt: bigint, completion: bigint) => create(TokenUsageSchema, { promptTokens: prompt, completionTokens: completion });
const flushMicrotasks = () => new Promise((resolve) => setTimeout(resolve, 5));

interface FakeBilling {
  billing: BillingClients;
  allowances: BudgetAllowances;
  calls: string[];
  settles: SettleUsageRequest[];
  failSettle: ConnectError[];
  gate?: Promise<void>;
  booked: Map<string, bigint>;
  /** SettleUsage answers budgets_changed. */
  budgetsChanged: boolean;
  /** The budget room left (what is neither held nor given out). */
  room(): bigint;
  /** Every SettleUsage call fails with this (after the queued failSettle ones). */
  alwaysFail?: ConnectError;
}

function fakeBilling(opts: BudgetAllowanceOptions = {}, room = 1_000_000_000n): FakeBilling {
  const fake: FakeBilling = { calls: [], settles: [], failSettle: [], booked: new Map(), budgetsChanged: false } as unknown as FakeBilling;
  let n = 0;
  const held = new Map<string, bigint>();
  const routes = (router: ConnectRouter) => router.service(ReservationService, {
    async reserveBudget(req) {
      fake.calls.push(req.shared ? 'ReserveBudget(shared)' : 'ReserveBudget');
      const tokens = { ...ZERO_TOKENS, prompt: req.estimatedUsage!.tokens!.promptTokens, completion: req.estimatedUsage!.tokens!.completionTokens };
      const amount = costNanos(tokens, PRICES);
      const statuses = [create(BudgetStatusSchema, { budgetId: 'b', enforcement: BudgetEnforcement.HARD, remaining: { currencyCode: 'USD', amountNanos: room - amount } })];
      if (amount > room) return { allowed: false, blockingBudgetId: 'b', statuses, estimatedCost: { currencyCode: 'USD', amountNanos: amount } };
      room -= amount;
      held.set(`res-${n + 1}`, amount);
      return {
        allowed: true, statuses, estimatedCost: { currencyCode: 'USD', amountNanos: amount },
        reservation: { tenantId: req.tenantId, reservationId: `res-${++n}`, amount: { currencyCode: 'USD', amountNanos: amount }, tokens: req.estimatedTokens, status: ReservationStatus.HELD, expireTime: { seconds: BigInt(Math.floor(Date.now() / 1000) + 300) } },
        price: { priceId: 'p1', currencyCode: 'USD', promptNanosPerMillion: PRICES.prompt, completionNanosPerMillion: PRICES.completion },
      };
    },
    async settleUsage(req) {
      fake.calls.push('SettleUsage');
      fake.settles.push(req);
      await fake.gate;
      const failure = fake.failSettle.shift() ?? fake.alwaysFail;
      if (failure !== undefined) throw failure;
      return {
        budgetsChanged: fake.budgetsChanged,
        costs: req.usages.map((u) => {
          const cost = fake.booked.get(u.eventId) ?? costNanos({ ...ZERO_TOKENS, prompt: u.tokens!.promptTokens, completion: u.tokens!.completionTokens }, PRICES);
          fake.booked.set(u.eventId, cost);
          return { eventId: u.eventId, cost: { currencyCode: 'USD', amountNanos: cost } };
        }),
      };
    },
    async commitReservation(req) {
      fake.calls.push('CommitReservation');
      return { reservation: { tenantId: req.tenantId, reservationId: req.reservationId, status: ReservationStatus.COMMITTED }, cost: { currencyCode: 'USD', amountNanos: 1n }, usageEventId: 'e' };
    },
    async releaseReservation(req) {
      fake.calls.push(`Release(${req.reservationId})`);
      room += held.get(req.reservationId) ?? 0n;
      held.delete(req.reservationId);
      return { reservation: { tenantId: req.tenantId, reservationId: req.reservationId, status: ReservationStatus.RELEASED } };
    },
  });
  fake.room = () => room;
  const reservations = createClient(ReservationService, createRouterTransport(routes));
  const allowances = new BudgetAllowances(reservations, { initialBackoffMs: 1, maxBackoffMs: 2, ...opts });
  fake.allowances = allowances;
  fake.billing = { reservations, allowances } as unknown as BillingClients;
  return fake;
}

const model = { provider: 'openai', model: 'gpt-4o' };

describe('budget allowances', () => {
  test('the first request is held on its own; a shared hold follows; later requests are carved and settled in the background', async () => {
    const fake = fakeBilling({ maxRequests: 8 });
    const first = await holdBudget(fake.billing, principal, 'r0', est, 60_000, {});
    expect(first.hold).toBeDefined();
    await flushMicrotasks();
    expect(fake.calls).toEqual(['ReserveBudget', 'ReserveBudget(shared)']);
    fake.calls.length = 0;
    const carves = [];
    for (let i = 0; i < 4; i++) {
      const held = await holdBudget(fake.billing, principal, `r${i + 1}`, est, 60_000, {});
      expect(held.carve).toBeDefined();
      carves.push(held.carve!);
    }
    expect(fake.calls).toEqual([]);
    // The actual usage is priced here with the quoted price: what billing books.
    const settling = fake.allowances.settle(carves[0]!, { model, tokens: usage(10n, 40n), estimated: false, agentId: 'a', requestId: 'r1' });
    expect(settling.cost).toBe(10n * 1_000n + 40n * 2_000n);
    expect((await settling.settled).cost!.amountNanos).toBe(settling.cost);
    expect(fake.settles[0]!.usages[0]).toMatchObject({ eventId: carves[0]!.eventId, requestId: 'r1', agentId: 'a' });
    // What it did not use is back in the allowance: 8 estimates held, 3 carved, 1 settled at 90,000.
    expect(carves[0]!.allowance.remainingNanos).toBe(8n * estimateNanos - 3n * estimateNanos - 90_000n);
    expect(fake.allowances.stats()).toMatchObject({ carved: 4, acquired: 1, settled: 1 });
    for (const carve of carves.slice(1)) fake.allowances.release(carve);
    await fake.allowances.close();
  });

  test('spent holds are given back and fresh ones asked for, so a steady caller keeps carving', async () => {
    const fake = fakeBilling({ maxRequests: 4 });
    let carved = 0;
    for (let i = 0; i < 24; i++) {
      const held = await holdBudget(fake.billing, principal, `r${i}`, est, 60_000, {});
      if (held.carve !== undefined) {
        carved++;
        // Each run uses exactly its estimate: a hold of four estimates is spent by four runs.
        await fake.allowances.settle(held.carve, { model, tokens: usage(10n, 100n), estimated: false, agentId: '', requestId: `r${i}` }).settled;
      }
      await flushMicrotasks();
    }
    // A spent hold no longer counts as open (it would keep fresh ones from being asked for and
    // send every later request down the per-request path): it is released once settled.
    expect(carved).toBeGreaterThanOrEqual(18);
    expect(fake.calls.filter((c) => c === 'ReserveBudget').length).toBeLessThanOrEqual(6);
    expect(fake.calls.filter((c) => c.startsWith('Release(')).length).toBeGreaterThanOrEqual(3);
    await fake.allowances.close();
  });

  test('a caller slower than one request per idleMs stays per-request: no shared hold to be released idle each time', async () => {
    const fake = fakeBilling({ idleMs: 50 });
    await holdBudget(fake.billing, principal, 'r0', est, 60_000, {});
    await flushMicrotasks();
    expect(fake.calls).toEqual(['ReserveBudget', 'ReserveBudget(shared)']);
    // Nothing carved: the sweep gives the idle hold back and drops the pool.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake.allowances.stats().allowances).toBe(0);
    fake.calls.length = 0;
    await holdBudget(fake.billing, principal, 'r1', est, 60_000, {});
    await flushMicrotasks();
    expect(fake.calls).toEqual(['ReserveBudget']);
    // A request soon after the last one: the key is busy again, a shared hold follows.
    await holdBudget(fake.billing, principal, 'r2', est, 60_000, {});
    await flushMicrotasks();
    expect(fake.calls).toEqual(['ReserveBudget', 'ReserveBudget', 'ReserveBudget(shared)']);
    await fake.allowances.close();
  });

  test('usages arriving while a settle is in flight go together in the next call', async () => {
    const fake = fakeBilling();
    await holdBudget(fake.billing, principal, 'r0', est, 60_000, {});
    await flushMicrotasks();
    let open!: () => void;
    fake.gate = new Promise((resolve) => (open = resolve));
    const settled = [];
    for (let i = 0; i < 5; i++) {
      const { carve } = await holdBudget(fake.billing, principal, `r${i + 1}`, est, 60_000, {});
      settled.push(fake.allowances.settle(carve!, { model, tokens: usage(10n, 10n), estimated: false, agentId: '', requestId: `r${i + 1}` }).settled);
    }
    await flushMicrotasks();
    open();
    await Promise.all(settled);
    expect(fake.settles.map((s) => s.usages.length)).toEqual([1, 4]);
    await fake.allowances.close();
  });

  test('a failed settle is retried with the same event ids; a final failure is reported and rejects settled', async () => {
    const lost: unknown[] = [];
    const fake = fakeBilling({ settleAttempts: 3, onSettleError: (err, usages) => lost.push([ConnectError.from(err).code, usages.length]) });
    await holdBudget(fake.billing, principal, 'r0', est, 60_000, {});
    await flushMicrotasks();
    fake.failSettle.push(new ConnectError('busy', Code.Internal), new ConnectError('busy', Code.Internal));
    const { carve } = await holdBudget(fake.billing, principal, 'r1', est, 60_000, {});
    const ok = fake.allowances.settle(carve!, { model, tokens: usage(1n, 1n), estimated: false, agentId: '', requestId: 'r1' });
    await ok.settled;
    expect(fake.settles.map((s) => s.usages[0]!.eventId)).toEqual([carve!.eventId, carve!.eventId, carve!.eventId]);
    fake.failSettle.push(...Array.from({ length: 3 }, () => new ConnectError('down', Code.Internal)));
    const second = await holdBudget(fake.billing, principal, 'r2', est, 60_000, {});
    const failing = fake.allowances.settle(second.carve!, { model, tokens: usage(1n, 1n), estimated: false, agentId: '', requestId: 'r2' });
    await expect(failing.settled).rejects.toThrow('down');
    expect(lost).toEqual([[Code.Internal, 1]]);
    expect(fake.allowances.stats().lost).toBe(1);
    await fake.allowances.close();
  });

  test('a released carve goes back whole; close settles what is pending and releases the shared hold', async () => {
    const fake = fakeBilling({ maxRequests: 4 });
    await holdBudget(fake.billing, principal, 'r0', est, 60_000, {});
    await flushMicrotasks();
    const { carve } = await holdBudget(fake.billing, principal, 'r1', est, 60_000, {});
    const allowance = carve!.allowance;
    expect(allowance.remainingNanos).toBe(3n * estimateNanos);
    fake.allowances.release(carve!);
    expect(allowance.remainingNanos).toBe(4n * estimateNanos);
    expect(fake.calls.filter((c) => c.startsWith('Release'))).toEqual([]);
    let open!: () => void;
    fake.gate = new Promise((resolve) => (open = resolve));
    const next = await holdBudget(fake.billing, principal, 'r2', est, 60_000, {});
    const pending = fake.allowances.settle(next.carve!, { model, tokens: usage(5n, 5n), estimated: false, agentId: '', requestId: 'r2' }).settled;
    const closing = fake.allowances.close();
    open();
    await closing;
    await expect(pending).resolves.toMatchObject({ usageEventId: next.carve!.eventId });
    expect(fake.calls.at(-1)).toBe(`Release(${allowance.reservation.reservationId})`);
    // Closed: every request takes the per-request path.
    expect((await holdBudget(fake.billing, principal, 'r3', est, 60_000, {})).hold).toBeDefined();
  });

  test('a request that does not fit falls back; a refusal gives idle leftovers back and asks once more', async () => {
    // Room for the first request, a shared hold of four and 300,000 nanos more.
    const fake = fakeBilling({ maxRequests: 4, minRequests: 2, roomShare: 1 }, 5n * estimateNanos + 300_000n);
    await holdBudget(fake.billing, principal, 'r0', est, 60_000, {});
    await flushMicrotasks();
    expect(fake.calls).toEqual(['ReserveBudget', 'ReserveBudget(shared)']);
    const big = { ...est, promptTokens: 800n, totalTokens: 900n }; // 1,000,000 nanos
    // Too big for the allowance and for what the budget has left beside it: the allowance's
    // leftover goes back, and the second per-request hold fits.
    const held = await holdBudget(fake.billing, principal, 'big', big, 60_000, {});
    expect(held.hold).toBeDefined();
    expect(fake.calls.slice(2)).toEqual(['ReserveBudget', 'Release(res-2)', 'ReserveBudget']);
    await fake.allowances.close();
  });

  test('a hold is sized to a share of the hard budgets\' room, none when that is small; soft budgets do not count', () => {
    const limits = { maxRequests: 16, minRequests: 4, roomShare: 0.1 };
    const status = (remaining: bigint, enforcement = BudgetEnforcement.HARD) => create(BudgetStatusSchema, { enforcement, remaining: { currencyCode: 'USD', amountNanos: remaining } });
    expect(requestsPerHold([], 100n, 10n, limits)).toBe(16);
    expect(requestsPerHold([status(10_000n)], 100n, 10n, limits)).toBe(10);
    expect(requestsPerHold([status(3_000n)], 100n, 10n, limits)).toBe(0);
    expect(requestsPerHold([status(3_000n, BudgetEnforcement.SOFT)], 100n, 10n, limits)).toBe(16);
    expect(requestsPerHold([create(BudgetStatusSchema, { enforcement: BudgetEnforcement.HARD, remainingTokens: 500n })], 100n, 10n, limits)).toBe(5 >= 4 ? 5 : 0);
  });
});

describe('budget allowances: losses, budget changes, idle holds, bounds, close', () => {
  const settleOf = (fake: FakeBilling, carve: NonNullable<Awaited<ReturnType<typeof holdBudget>>['carve']>, requestId: string) =>
    fake.allowances.settle(carve, { model, tokens: usage(10n, 100n), estimated: false, agentId: '', requestId });

  test('a settle that fails for good: its hold is never released and the tenant stops using allowances, so a refusing billing cannot be drawn on without limit', async () => {
    const lost: string[] = [];
    let clock = 1_000_000;
    const fake = fakeBilling({ maxRequests: 4, minRequests: 1, roomShare: 1, settleAttempts: 1, now: () => clock, onSettleError: (_err, usages) => lost.push(...usages.map((u) => u.requestId)) }, 40n * estimateNanos);
    fake.alwaysFail = new ConnectError('settles are refused', Code.Internal);
    const startRoom = fake.room();
    let carved = 0;
    for (let i = 0; i < 30; i++) {
      const held = await holdBudget(fake.billing, principal, `r${i}`, est, 60_000, {});
      if (held.carve !== undefined) {
        carved++;
        await expect(settleOf(fake, held.carve, `r${i}`).settled).rejects.toThrow('settles are refused');
      }
      await flushMicrotasks();
    }
    // One shared hold, one carve lost; the hold was not given back (it expires at its TTL) and
    // no other was asked for: every later request took the per-request path.
    expect(carved).toBe(1);
    expect(lost).toEqual(['r1']);
    expect(fake.calls.filter((c) => c === 'ReserveBudget(shared)')).toHaveLength(1);
    expect(fake.calls.filter((c) => c.startsWith('Release('))).toEqual([]);
    expect(fake.allowances.stats()).toMatchObject({ allowances: 0, lost: 1 });
    // The 29 per-request holds (never committed here) and the whole shared hold stay held.
    expect(fake.room()).toBe(startRoom - 29n * estimateNanos - 4n * estimateNanos);
    // After the pause allowances are used again.
    clock += 60_001;
    fake.alwaysFail = undefined;
    await holdBudget(fake.billing, principal, 'after', est, 60_000, {});
    await flushMicrotasks();
    expect(fake.calls.filter((c) => c === 'ReserveBudget(shared)')).toHaveLength(2);
    const again = (await holdBudget(fake.billing, principal, 'carved', est, 60_000, {})).carve;
    expect(again).toBeDefined();
    fake.allowances.release(again!);
    await fake.allowances.close();
  });

  test('a settle of the tenant that succeeds ends the pause early', async () => {
    const fake = fakeBilling({ maxRequests: 4, minRequests: 1, settleAttempts: 1, onSettleError: () => {} });
    await holdBudget(fake.billing, principal, 'r0', est, 60_000, {});
    await flushMicrotasks();
    const a = (await holdBudget(fake.billing, principal, 'r1', est, 60_000, {})).carve!;
    const b = (await holdBudget(fake.billing, principal, 'r2', est, 60_000, {})).carve!;
    let open!: () => void;
    fake.gate = new Promise((resolve) => (open = resolve));
    fake.failSettle.push(new ConnectError('bad usage', Code.InvalidArgument));
    const first = settleOf(fake, a, 'r1').settled;
    await flushMicrotasks();
    const second = settleOf(fake, b, 'r2').settled;
    open();
    await expect(first).rejects.toThrow('bad usage');
    await second;
    await flushMicrotasks();
    // The lost hold stays held (never released); the next per-request hold starts a fresh allowance.
    expect(fake.calls.filter((c) => c.startsWith('Release('))).toEqual([]);
    expect((await holdBudget(fake.billing, principal, 'r3', est, 60_000, {})).hold).toBeDefined();
    await flushMicrotasks();
    expect(fake.calls.filter((c) => c === 'ReserveBudget(shared)')).toHaveLength(2);
    await fake.allowances.close();
  });

  test('a settle answering budgets_changed retires every allowance of the tenant: the next request reserves, the old holds go back once settled', async () => {
    const fake = fakeBilling({ maxRequests: 4 });
    await holdBudget(fake.billing, principal, 'r0', est, 60_000, {});
    await flushMicrotasks();
    const a = (await holdBudget(fake.billing, principal, 'r1', est, 60_000, {})).carve!;
    const b = (await holdBudget(fake.billing, principal, 'r2', est, 60_000, {})).carve!;
    fake.budgetsChanged = true;
    await settleOf(fake, a, 'r1').settled;
    expect(fake.allowances.stats().budgetsChanged).toBe(1);
    fake.calls.length = 0;
    // Nothing is carved from the old hold any more; it goes back once its last carve is settled.
    expect((await holdBudget(fake.billing, principal, 'r3', est, 60_000, {})).hold).toBeDefined();
    expect(fake.calls[0]).toBe('ReserveBudget');
    expect(fake.calls).not.toContain(`Release(${a.allowance.reservation.reservationId})`);
    fake.budgetsChanged = false;
    await settleOf(fake, b, 'r2').settled;
    await flushMicrotasks();
    expect(fake.calls).toContain(`Release(${a.allowance.reservation.reservationId})`);
    await fake.allowances.close();
  });

  test('the default carve window is 10 s', async () => {
    let clock = 1_000_000;
    const fake = fakeBilling({ maxRequests: 4, now: () => clock });
    await holdBudget(fake.billing, principal, 'r0', est, 60_000, {});
    await flushMicrotasks();
    clock += 9_000;
    const carve = (await holdBudget(fake.billing, principal, 'r1', est, 60_000, {})).carve;
    expect(carve).toBeDefined();
    fake.allowances.release(carve!);
    clock += 1_500;
    expect((await holdBudget(fake.billing, principal, 'r2', est, 60_000, {})).carve).toBeUndefined();
    await fake.allowances.close();
  });

  test('a hold nothing is carved from for idleMs goes back once settled, and its empty pool goes away', async () => {
    const fake = fakeBilling({ maxRequests: 4, idleMs: 40 });
    await holdBudget(fake.billing, principal, 'r0', est, 60_000, {});
    await flushMicrotasks();
    const carve = (await holdBudget(fake.billing, principal, 'r1', est, 60_000, {})).carve!;
    // A run still going keeps it (its usage is settled against it).
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(fake.calls.filter((c) => c.startsWith('Release('))).toEqual([]);
    await settleOf(fake, carve, 'r1').settled;
    await flushMicrotasks();
    expect(fake.calls.filter((c) => c.startsWith('Release('))).toEqual([`Release(${carve.allowance.reservation.reservationId})`]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(fake.allowances.stats()).toMatchObject({ allowances: 0, pools: 0 });
    await fake.allowances.close();
  });

  test('pools are capped at maxPools: the least recently used idle one makes room; with none idle a new key stays per-request', async () => {
    // Too little room for a shared hold: every pool stays empty (idle).
    const small = fakeBilling({ maxPools: 2 }, 10n * estimateNanos);
    const user = (n: number) => create(PrincipalSchema, { tenantId: 'acme', userId: `u${n}`, apiKeyId: 'k1' });
    for (let n = 0; n < 5; n++) await holdBudget(small.billing, user(n), `r${n}`, est, 60_000, {});
    expect(small.allowances.stats().pools).toBe(2);
    await small.allowances.close();
    // Pools holding allowances are never dropped: a third key gets no pool.
    const roomy = fakeBilling({ maxPools: 2, maxRequests: 4 });
    for (let n = 0; n < 2; n++) await holdBudget(roomy.billing, user(n), `r${n}`, est, 60_000, {});
    await flushMicrotasks();
    expect(roomy.allowances.stats()).toMatchObject({ pools: 2, allowances: 2 });
    roomy.calls.length = 0;
    await holdBudget(roomy.billing, user(9), 'r9', est, 60_000, {});
    await flushMicrotasks();
    expect(roomy.calls).toEqual(['ReserveBudget']);
    expect(roomy.allowances.stats().pools).toBe(2);
    const carve = (await holdBudget(roomy.billing, user(0), 'again', est, 60_000, {})).carve;
    expect(carve).toBeDefined();
    roomy.allowances.release(carve!);
    await roomy.allowances.close();
  });

  test('a run that ends after close() gave up waiting: its usage is reported lost (Canceled), never sent, and its hold is not released', async () => {
    const reported: [Code, string[]][] = [];
    const fake = fakeBilling({ maxRequests: 4, closeTimeoutMs: 20, onSettleError: (err, usages) => reported.push([ConnectError.from(err).code, usages.map((u) => u.requestId)]) });
    await holdBudget(fake.billing, principal, 'r0', est, 60_000, {});
    await flushMicrotasks();
    const carve = (await holdBudget(fake.billing, principal, 'r1', est, 60_000, {})).carve!;
    await fake.allowances.close();
    const late = settleOf(fake, carve, 'r1');
    expect(late.cost).toBe(estimateNanos);
    await expect(late.settled).rejects.toThrow(/closed before this run ended/);
    expect(reported).toEqual([[Code.Canceled, ['r1']]]);
    expect(fake.calls).not.toContain('SettleUsage');
    expect(fake.calls.filter((c) => c.startsWith('Release('))).toEqual([]);
    expect(fake.allowances.stats().lost).toBe(1);
  });

  test('token counts whose parts exceed their wholes are refused before the usage counts (billing would refuse them for ever)', () => {
    expect(() => tokenUsage({ promptTokens: 10, completionTokens: 5, cachedPromptTokens: 8, cacheWriteTokens: 3 })).toThrow(TypeError);
    expect(() => tokenUsage({ promptTokens: 10, completionTokens: 5, reasoningTokens: 6 })).toThrow(/reasoning_tokens must not exceed completion_tokens/);
    expect(tokenUsage({ promptTokens: 10, completionTokens: 5, cachedPromptTokens: 7, cacheWriteTokens: 3, reasoningTokens: 5 }).cachedPromptTokens).toBe(7n);
  });
});
