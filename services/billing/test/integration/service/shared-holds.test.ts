// Shared holds (budget allowances) through the service, on both backends: ReserveBudget with
// shared = true quotes the price it used and until when it holds; SettleUsage books batches of
// usages against the open hold (idempotent per event id), each booked once by the ledger; the
// hold never goes negative and concurrent settles never overspend a hard budget beyond one
// usage's estimate error; release and expiry give back what is left; a settle says when the
// tenant's budgets changed since the hold was reserved.
import { Code } from '@connectrpc/connect';
import { BudgetPeriod, ReservationStatus } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import { UsagePeriod } from '@aegis/proto/aegis/billing/v1/usage_pb.js';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { uuidv7 } from 'uuidv7';
import { BACKENDS, eventually, rejection, startBilling, tenantKey, uniqueTenant, type RunningBilling } from './billing-harness.js';

const usd = (amountNanos: bigint) => ({ currencyCode: 'USD', amountNanos });
// gpt-4 prompt: 30,000 nanos per token.
const GPT4_PROMPT = 30_000n;
const gpt4 = (promptTokens: bigint) => ({ provider: 'openai', model: 'gpt-4', tokens: { promptTokens } });

describe.each(BACKENDS)('shared holds (%s)', (_name, backend) => {
  let billing: RunningBilling;
  beforeAll(async () => {
    billing = await startBilling({ backend: backend(), env: { AEGIS_BILLING_CHECK_CACHE_MS: '0', AEGIS_BILLING_SWEEP_INTERVAL_MS: '200' } });
  });
  afterAll(async () => {
    await billing?.stop();
  });

  async function statusOf(tenantId: string, budgetId: string) {
    const { statuses } = await billing.admin.budgets.getRemainingBudget({ tenantId, budgetId });
    return statuses[0]!;
  }

  const shared = (tenantId: string, requestId: string, promptTokens: bigint, ttlSeconds = 60n) =>
    billing.admin.reservations.reserveBudget({ tenantId, userId: 'u1', requestId, estimatedUsage: gpt4(promptTokens), shared: true, ttl: { seconds: ttlSeconds } });

  const usage = (promptTokens: bigint, eventId = uuidv7()) => ({ eventId, ...gpt4(promptTokens), requestId: `req-${eventId}`, agentId: 'bot' });

  test('a shared hold quotes its price; settles are booked once each, the hold shrinks and stays open, release gives the rest back', async () => {
    const tenantId = uniqueTenant('shared');
    const { budget } = await billing.admin.budgets.createBudget({ tenantId, budget: { name: 'day', amountLimit: usd(1_000_000_000n), period: BudgetPeriod.DAY } });
    // A tenant price scheduled for later: the quote holds until then.
    const later = new Date(Date.now() + 3_600_000);
    await billing.admin.prices.createModelPrice({ tenantId, price: { provider: 'openai', model: 'gpt-4', promptNanosPerMillion: 1n, completionNanosPerMillion: 1n, effectiveTime: { seconds: BigInt(Math.floor(later.getTime() / 1000)) } } });
    const hold = await shared(tenantId, 'allowance-1', 1_000n);
    expect(hold.allowed).toBe(true);
    expect(hold.reservation!.amount!.amountNanos).toBe(1_000n * GPT4_PROMPT);
    expect(hold.price).toMatchObject({ provider: 'openai', model: 'gpt-4', currencyCode: 'USD', promptNanosPerMillion: GPT4_PROMPT * 1_000_000n });
    expect(timestampDate(hold.priceValidUntil!).getTime()).toBe(Math.floor(later.getTime() / 1000) * 1000);
    const reservationId = hold.reservation!.reservationId;

    const batch = [usage(100n), usage(250n), usage(50n)];
    const settled = await billing.admin.reservations.settleUsage({ tenantId, reservationId, usages: batch });
    expect(settled.costs.map((c) => [c.eventId, c.cost!.amountNanos])).toEqual(batch.map((u) => [u.eventId, u.tokens.promptTokens * GPT4_PROMPT]));
    expect(settled.reservation!.status).toBe(ReservationStatus.HELD);
    // Replayed (a retry after a lost answer), with one new usage: the old ones answer their first cost.
    const extra = usage(10n);
    const replay = await billing.admin.reservations.settleUsage({ tenantId, reservationId, usages: [...batch.map((u) => ({ ...u, tokens: { promptTokens: 999n } })), extra] });
    expect(replay.costs.map((c) => c.cost!.amountNanos)).toEqual([100n, 250n, 50n, 10n].map((t) => t * GPT4_PROMPT));
    const spentTotal = 410n * GPT4_PROMPT;
    // The cost changed hands (shared hold to the usages' own holds, which the ledger turns into
    // spend as it books them, maybe already): reserved + spent stays the whole hold.
    const midway = await statusOf(tenantId, budget!.budgetId);
    expect(midway.reserved!.amountNanos + midway.spent!.amountNanos).toBe(1_000n * GPT4_PROMPT);
    const booked = await eventually(async () => {
      const s = await statusOf(tenantId, budget!.budgetId);
      return s.spent!.amountNanos === spentTotal ? s : undefined;
    }, 30_000, 'the settled usages to be booked');
    expect(booked.reserved!.amountNanos).toBe(1_000n * GPT4_PROMPT - spentTotal);
    const usageNow = await billing.admin.usage.getUsage({ tenantId, window: { case: 'period', value: UsagePeriod.DAY } });
    expect(usageNow.totals!.cost!.amountNanos).toBe(spentTotal);
    expect(usageNow.totals!.requestCount).toBe(4n);

    const released = await billing.admin.reservations.releaseReservation({ tenantId, reservationId });
    expect(released.reservation!.status).toBe(ReservationStatus.RELEASED);
    expect((await statusOf(tenantId, budget!.budgetId)).reserved!.amountNanos).toBe(0n);
    // A usage that arrives after the release is still booked (spend is never lost).
    await billing.admin.reservations.settleUsage({ tenantId, reservationId, usages: [usage(5n)] });
    await eventually(async () => ((await statusOf(tenantId, budget!.budgetId)).spent!.amountNanos === spentTotal + 5n * GPT4_PROMPT ? true : undefined), 30_000, 'the late usage to be booked');
    expect((await statusOf(tenantId, budget!.budgetId)).reserved!.amountNanos).toBe(0n);
  });

  test('refusals: not a shared hold, a commit of a shared hold, an event id of another hold, bad ids', async () => {
    const tenantId = uniqueTenant('shared-err');
    const single = await billing.admin.reservations.reserveBudget({ tenantId, requestId: 'single', estimatedUsage: gpt4(10n) });
    expect((await rejection(billing.admin.reservations.settleUsage({ tenantId, reservationId: single.reservation!.reservationId, usages: [usage(1n)] }))).code).toBe(Code.FailedPrecondition);
    const a = await shared(tenantId, 'a', 100n);
    const b = await shared(tenantId, 'b', 100n);
    expect((await rejection(billing.admin.reservations.commitReservation({ tenantId, reservationId: a.reservation!.reservationId, ...gpt4(1n) }))).code).toBe(Code.FailedPrecondition);
    const u = usage(1n);
    await billing.admin.reservations.settleUsage({ tenantId, reservationId: a.reservation!.reservationId, usages: [u] });
    expect((await rejection(billing.admin.reservations.settleUsage({ tenantId, reservationId: b.reservation!.reservationId, usages: [usage(2n), u] }))).code).toBe(Code.AlreadyExists);
    expect((await rejection(billing.admin.reservations.settleUsage({ tenantId, reservationId: b.reservation!.reservationId, usages: [usage(1n, 'not-a-uuid')] }))).code).toBe(Code.InvalidArgument);
    expect((await rejection(billing.admin.reservations.settleUsage({ tenantId, reservationId: b.reservation!.reservationId, usages: [] }))).code).toBe(Code.InvalidArgument);
    expect((await rejection(billing.admin.reservations.settleUsage({ tenantId, reservationId: uuidv7(), usages: [usage(1n)] }))).code).toBe(Code.NotFound);
    // The conflicting call changed nothing on b.
    expect((await billing.admin.reservations.releaseReservation({ tenantId, reservationId: b.reservation!.reservationId })).reservation!.status).toBe(ReservationStatus.RELEASED);
    expect((await rejection(billing.admin.reservations.reserveBudget({ tenantId, requestId: 'x', shared: true, estimatedCost: usd(1n) }))).code).toBe(Code.InvalidArgument);
  });

  test('a tenant\'s key reserves and settles in its own tenant only: another tenant\'s hold is out of reach', async () => {
    const a = uniqueTenant('iso-a');
    const b = uniqueTenant('iso-b');
    const asA = billing.clients(await tenantKey(billing, a, ['admin']));
    await tenantKey(billing, b, ['admin']);
    const holdB = await shared(b, 'allowance-b', 100n);
    const reservationId = holdB.reservation!.reservationId;
    // Naming B: refused by the permission check, whatever the reservation.
    expect((await rejection(asA.reservations.settleUsage({ tenantId: b, reservationId, usages: [usage(10n)] }))).code).toBe(Code.PermissionDenied);
    expect((await rejection(asA.reservations.reserveBudget({ tenantId: b, userId: 'u1', requestId: 'from-a', estimatedUsage: gpt4(10n), shared: true }))).code).toBe(Code.PermissionDenied);
    expect((await rejection(asA.reservations.releaseReservation({ tenantId: b, reservationId }))).code).toBe(Code.PermissionDenied);
    // Naming A with B's reservation id: no such hold in A.
    expect((await rejection(asA.reservations.settleUsage({ tenantId: a, reservationId, usages: [usage(10n)] }))).code).toBe(Code.NotFound);
    // A's own shared hold works for A's key.
    const holdA = await asA.reservations.reserveBudget({ tenantId: a, userId: 'u1', requestId: 'allowance-a', estimatedUsage: gpt4(10n), shared: true });
    expect(holdA.allowed).toBe(true);
    await asA.reservations.settleUsage({ tenantId: a, reservationId: holdA.reservation!.reservationId, usages: [usage(5n)] });
    // Nothing A tried reached B: B's only booked usage is the one its own admin settles now.
    await billing.admin.reservations.settleUsage({ tenantId: b, reservationId, usages: [usage(1n)] });
    const usageOfB = await eventually(async () => {
      const u = await billing.admin.usage.getUsage({ tenantId: b, window: { case: 'period', value: UsagePeriod.DAY } });
      return u.totals?.requestCount === 1n ? u : undefined;
    }, 30_000, 'B\'s usage to be booked');
    expect(usageOfB.totals!.cost!.amountNanos).toBe(GPT4_PROMPT);
    const usageOfA = await eventually(async () => {
      const u = await billing.admin.usage.getUsage({ tenantId: a, window: { case: 'period', value: UsagePeriod.DAY } });
      return u.totals?.requestCount === 1n ? u : undefined;
    }, 30_000, 'A\'s usage to be booked');
    expect(usageOfA.totals!.cost!.amountNanos).toBe(5n * GPT4_PROMPT);
  });

  test('an event id already used by a commit or by RecordUsage is refused, never settled unbooked; the hold is unchanged', async () => {
    const tenantId = uniqueTenant('shared-reuse');
    const { budget } = await billing.admin.budgets.createBudget({ tenantId, budget: { name: 'reuse', amountLimit: usd(1_000_000_000n), period: BudgetPeriod.MONTH } });
    const single = await billing.admin.reservations.reserveBudget({ tenantId, requestId: 'single', estimatedUsage: gpt4(10n) });
    const committed = await billing.admin.reservations.commitReservation({ tenantId, reservationId: single.reservation!.reservationId, ...gpt4(10n) });
    const recorded = await billing.admin.usage.recordUsage({ tenantId, eventId: uuidv7(), ...gpt4(20n) });
    // Booked (ledger) and still in the outbox or booked (commit): both are known usage events.
    await eventually(async () => ((await statusOf(tenantId, budget!.budgetId)).spent!.amountNanos === 30n * GPT4_PROMPT ? true : undefined), 30_000, 'both usages to be booked');
    const hold = await shared(tenantId, 'reuse-hold', 100n);
    const reservationId = hold.reservation!.reservationId;
    for (const eventId of [committed.usageEventId, recorded.eventId]) {
      const err = await rejection(billing.admin.reservations.settleUsage({ tenantId, reservationId, usages: [usage(50n), usage(5n, eventId)] }));
      expect(err.code).toBe(Code.AlreadyExists);
      expect(err.message).toContain(eventId);
    }
    // Nothing of the refused batches was written: the budget holds the shared hold only, and a
    // fresh usage is settled as usual.
    expect((await statusOf(tenantId, budget!.budgetId)).reserved!.amountNanos).toBe(100n * GPT4_PROMPT);
    const ok = await billing.admin.reservations.settleUsage({ tenantId, reservationId, usages: [usage(100n)] });
    expect(ok.costs[0]!.cost!.amountNanos).toBe(100n * GPT4_PROMPT);
    await billing.admin.reservations.releaseReservation({ tenantId, reservationId });
    await eventually(async () => {
      const s = await statusOf(tenantId, budget!.budgetId);
      return s.reserved!.amountNanos === 0n && s.spent!.amountNanos === 130n * GPT4_PROMPT ? true : undefined;
    }, 30_000, 'only the fresh usage to be booked, nothing left held');
  });

  test('concurrent settles never take a hold below zero nor overspend a hard budget beyond one usage\'s estimate error', async () => {
    const tenantId = uniqueTenant('shared-race');
    const estimate = 100n; // tokens per request
    const limit = 20n * estimate * GPT4_PROMPT;
    const { budget } = await billing.admin.budgets.createBudget({ tenantId, budget: { name: 'race', amountLimit: usd(limit), period: BudgetPeriod.MONTH } });
    const hold = await shared(tenantId, 'race-hold', 10n * estimate);
    const reservationId = hold.reservation!.reservationId;
    // Ten usages of exactly the estimate, in 10 concurrent settles, raced by 30 per-request reserves.
    const [settles, reserves] = await Promise.all([
      Promise.all(Array.from({ length: 10 }, () => billing.admin.reservations.settleUsage({ tenantId, reservationId, usages: [usage(estimate)] }))),
      Promise.all(Array.from({ length: 30 }, (_, i) => billing.admin.reservations.reserveBudget({ tenantId, userId: 'u2', requestId: `r-${i}`, estimatedUsage: gpt4(estimate) }))),
    ]);
    expect(settles.every((s) => s.costs[0]!.cost!.amountNanos === estimate * GPT4_PROMPT)).toBe(true);
    // The hold had room for ten, the budget for ten more per-request reserves: never more.
    expect(reserves.filter((r) => r.allowed)).toHaveLength(10);
    const status = await statusOf(tenantId, budget!.budgetId);
    expect(status.spent!.amountNanos + status.reserved!.amountNanos).toBe(limit);
    // An eleventh usage the hold cannot cover (an estimate error): the hold stays at zero, the excess is held on the budget.
    const over = await billing.admin.reservations.settleUsage({ tenantId, reservationId, usages: [usage(estimate)] });
    expect(over.reservation!.amount!.amountNanos).toBe(10n * estimate * GPT4_PROMPT);
    const after = await statusOf(tenantId, budget!.budgetId);
    expect(after.spent!.amountNanos + after.reserved!.amountNanos).toBe(limit + estimate * GPT4_PROMPT);
    const released = await billing.admin.reservations.releaseReservation({ tenantId, reservationId });
    expect(released.reservation!.status).toBe(ReservationStatus.RELEASED);
    const final = await eventually(async () => {
      const s = await statusOf(tenantId, budget!.budgetId);
      return s.spent!.amountNanos === 11n * estimate * GPT4_PROMPT ? s : undefined;
    }, 60_000, 'the settled usages to be booked');
    // Only the ten per-request holds are left.
    expect(final.reserved!.amountNanos).toBe(10n * estimate * GPT4_PROMPT);
  });

  test('a settle answers budgets_changed once the tenant\'s budgets differ from those the hold was reserved under', async () => {
    const tenantId = uniqueTenant('shared-ver');
    const { budget } = await billing.admin.budgets.createBudget({ tenantId, budget: { name: 'kill', amountLimit: usd(1_000_000_000n), period: BudgetPeriod.MONTH } });
    const hold = await shared(tenantId, 'ver-1', 500n);
    const reservationId = hold.reservation!.reservationId;
    const settle = async (id = reservationId) => (await billing.admin.reservations.settleUsage({ tenantId, reservationId: id, usages: [usage(1n)] })).budgetsChanged;
    expect(await settle()).toBe(false);
    // An admin lowers the hard limit to 0 (a kill switch): the hold was checked against the old one.
    const { $typeName: _, ...fields } = budget!;
    await billing.admin.budgets.updateBudget({ tenantId, budget: { ...fields, amountLimit: usd(0n) } });
    expect(await settle()).toBe(true);
    // A hold reserved under the new version is refused; without budgets, a hold taken before a budget is added sees the addition.
    expect((await shared(tenantId, 'ver-2', 10n)).allowed).toBe(false);
    const other = uniqueTenant('shared-ver-add');
    const open = await shared(other, 'add-1', 100n);
    const openId = open.reservation!.reservationId;
    expect((await billing.admin.reservations.settleUsage({ tenantId: other, reservationId: openId, usages: [usage(1n)] })).budgetsChanged).toBe(false);
    await billing.admin.budgets.createBudget({ tenantId: other, budget: { name: 'new', amountLimit: usd(1n), period: BudgetPeriod.MONTH } });
    expect((await billing.admin.reservations.settleUsage({ tenantId: other, reservationId: openId, usages: [usage(1n)] })).budgetsChanged).toBe(true);
    // Removing a budget is a change too.
    const third = uniqueTenant('shared-ver-del');
    const { budget: gone } = await billing.admin.budgets.createBudget({ tenantId: third, budget: { name: 'gone', amountLimit: usd(1_000_000_000n), period: BudgetPeriod.MONTH } });
    const before = await shared(third, 'del-1', 100n);
    await billing.admin.budgets.deleteBudget({ tenantId: third, budgetId: gone!.budgetId });
    expect((await billing.admin.reservations.settleUsage({ tenantId: third, reservationId: before.reservation!.reservationId, usages: [usage(1n)] })).budgetsChanged).toBe(true);
  });

  test('an expired shared hold gives back what is left; a settle after expiry is still booked', async () => {
    const tenantId = uniqueTenant('shared-exp');
    const { budget } = await billing.admin.budgets.createBudget({ tenantId, budget: { name: 'month', amountLimit: usd(1_000_000_000n), period: BudgetPeriod.MONTH } });
    const hold = await shared(tenantId, 'exp', 500n, 1n);
    const reservationId = hold.reservation!.reservationId;
    await billing.admin.reservations.settleUsage({ tenantId, reservationId, usages: [usage(100n)] });
    await eventually(async () => {
      const s = await statusOf(tenantId, budget!.budgetId);
      return s.reserved!.amountNanos === 0n && s.spent!.amountNanos === 100n * GPT4_PROMPT ? s : undefined;
    }, 30_000, 'the hold to expire and the usage to be booked');
    const late = await billing.admin.reservations.settleUsage({ tenantId, reservationId, usages: [usage(7n)] });
    expect(late.reservation!.status).toBe(ReservationStatus.EXPIRED);
    await eventually(async () => ((await statusOf(tenantId, budget!.budgetId)).spent!.amountNanos === 107n * GPT4_PROMPT ? true : undefined), 30_000, 'the late usage to be booked');
    expect((await statusOf(tenantId, budget!.budgetId)).reserved!.amountNanos).toBe(0n);
  });
});
