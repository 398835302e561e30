// Budgets, CheckBudget and reservations through the service, on both backends, including the
// race: 200 concurrent reservations against one hard budget never overspend it.
import { Code } from '@connectrpc/connect';
import { BudgetEnforcement, BudgetPeriod, ReservationStatus } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import { UsagePeriod } from '@aegis/proto/aegis/billing/v1/usage_pb.js';
import { BACKENDS, eventually, rejection, startBilling, uniqueTenant, type RunningBilling } from './billing-harness.js';

const usd = (amountNanos: bigint) => ({ currencyCode: 'USD', amountNanos });
// gpt-4 prompt: 30,000 nanos per token.
const GPT4_PROMPT = 30_000n;

describe.each(BACKENDS)('billing budgets and reservations (%s)', (_name, backend) => {
  let billing: RunningBilling;
  beforeAll(async () => {
    billing = await startBilling({ backend: backend(), env: { AEGIS_BILLING_CHECK_CACHE_MS: '0', AEGIS_BILLING_SWEEP_INTERVAL_MS: '200' } });
  });
  afterAll(async () => {
    await billing?.stop();
  });

  async function spentOf(tenantId: string, budgetId: string) {
    const { statuses } = await billing.admin.budgets.getRemainingBudget({ tenantId, budgetId });
    return statuses[0]!;
  }

  test('budget CRUD validates, versions and lists', async () => {
    const tenantId = uniqueTenant();
    expect((await rejection(billing.admin.budgets.createBudget({ tenantId, budget: { name: 'no cap', period: BudgetPeriod.DAY } }))).code).toBe(Code.InvalidArgument);
    expect((await rejection(billing.admin.budgets.createBudget({ tenantId, budget: { name: 'both', userId: 'u', apiKeyId: 'k', tokenLimit: 1n, period: BudgetPeriod.DAY } }))).code).toBe(Code.InvalidArgument);
    expect((await rejection(billing.admin.budgets.createBudget({ tenantId, budget: { name: 'tz', tokenLimit: 1n, period: BudgetPeriod.DAY, timeZone: 'Mars/Olympus' } }))).code).toBe(Code.InvalidArgument);
    expect((await rejection(billing.admin.budgets.createBudget({ tenantId, budget: { name: 'eur', amountLimit: { currencyCode: 'EUR', amountNanos: 1n }, period: BudgetPeriod.DAY } }))).code).toBe(Code.InvalidArgument);
    // Kaizen's ai_analyst: max_tokens_per_day 100000, as a user budget.
    const { budget } = await billing.admin.budgets.createBudget({ tenantId, budget: { name: 'ai_analyst tokens', userId: 'analyst', tokenLimit: 100_000n, period: BudgetPeriod.DAY, timeZone: 'Europe/Berlin' } });
    expect(budget).toMatchObject({ version: 1n, tokenLimit: 100_000n, enforcement: BudgetEnforcement.HARD });
    const updated = await billing.admin.budgets.updateBudget({ tenantId, budget: { ...budget!, tokenLimit: 500_000n }, expectedVersion: 1n });
    expect(updated.budget).toMatchObject({ version: 2n, tokenLimit: 500_000n });
    expect((await rejection(billing.admin.budgets.updateBudget({ tenantId, budget: { ...budget! }, expectedVersion: 1n }))).code).toBe(Code.Aborted);
    const listed = await billing.admin.budgets.listBudgets({ tenantId, userId: 'analyst' });
    expect(listed.budgets.map((b) => b.budgetId)).toEqual([budget!.budgetId]);
    const status = await spentOf(tenantId, budget!.budgetId);
    // The period is the Berlin day: it starts at 22:00 or 23:00 UTC.
    expect([22, 23]).toContain(new Date(Number(status.period!.startTime!.seconds) * 1000).getUTCHours());
    await billing.admin.budgets.deleteBudget({ tenantId, budgetId: budget!.budgetId, expectedVersion: 2n });
    expect((await rejection(billing.admin.budgets.getBudget({ tenantId, budgetId: budget!.budgetId }))).code).toBe(Code.NotFound);
  });

  test('reserve, commit and release move holds to spend exactly; hard budgets refuse, soft ones only report', async () => {
    const tenantId = uniqueTenant();
    const { budget: hard } = await billing.admin.budgets.createBudget({ tenantId, budget: { name: 'tenant day', amountLimit: usd(10_000_000n), period: BudgetPeriod.DAY } });
    const { budget: soft } = await billing.admin.budgets.createBudget({ tenantId, budget: { name: 'user soft', userId: 'u1', amountLimit: usd(1n), period: BudgetPeriod.MONTH, enforcement: BudgetEnforcement.SOFT } });
    const check = await billing.admin.budgets.checkBudget({ tenantId, userId: 'u1', estimatedCost: usd(10_000_001n) });
    expect(check).toMatchObject({ allowed: false, blockingBudgetId: hard!.budgetId });
    expect(check.statuses).toHaveLength(2);
    const r1 = await billing.admin.reservations.reserveBudget({ tenantId, userId: 'u1', requestId: 'req-1', estimatedCost: usd(6_000_000n), estimatedTokens: 200n });
    expect(r1.allowed).toBe(true);
    expect((await billing.admin.reservations.reserveBudget({ tenantId, userId: 'u1', requestId: 'req-1', estimatedCost: usd(6_000_000n) })).reservation!.reservationId).toBe(r1.reservation!.reservationId);
    const r2 = await billing.admin.reservations.reserveBudget({ tenantId, userId: 'u2', requestId: 'req-2', estimatedCost: usd(6_000_000n) });
    expect(r2).toMatchObject({ allowed: false, blockingBudgetId: hard!.budgetId });
    expect((await spentOf(tenantId, hard!.budgetId)).reserved!.amountNanos).toBe(6_000_000n);
    // Actual: 100 gpt-4 prompt tokens = 3,000,000 nanos.
    const committed = await billing.admin.reservations.commitReservation({ tenantId, reservationId: r1.reservation!.reservationId, provider: 'openai', model: 'gpt-4', tokens: { promptTokens: 100n } });
    expect(committed.cost!.amountNanos).toBe(100n * GPT4_PROMPT);
    expect(committed.reservation!.status).toBe(ReservationStatus.COMMITTED);
    const again = await billing.admin.reservations.commitReservation({ tenantId, reservationId: r1.reservation!.reservationId, provider: 'openai', model: 'gpt-4', tokens: { promptTokens: 100n } });
    expect(again.usageEventId).toBe(committed.usageEventId);
    const booked = await eventually(async () => {
      const s = await spentOf(tenantId, hard!.budgetId);
      return s.spent!.amountNanos === 3_000_000n ? s : undefined;
    }, 30_000, 'the commit to be booked');
    expect(booked.reserved!.amountNanos).toBe(0n);
    expect(booked.remaining!.amountNanos).toBe(7_000_000n);
    const softStatus = await spentOf(tenantId, soft!.budgetId);
    expect(softStatus).toMatchObject({ exceeded: true, remaining: { amountNanos: 1n - 3_000_000n } });
    expect((await billing.admin.reservations.reserveBudget({ tenantId, userId: 'u1', requestId: 'req-3', estimatedCost: usd(1n) })).allowed).toBe(true);
    const r4 = await billing.admin.reservations.reserveBudget({ tenantId, userId: 'u3', requestId: 'req-4', estimatedCost: usd(5_000_000n) });
    const released = await billing.admin.reservations.releaseReservation({ tenantId, reservationId: r4.reservation!.reservationId });
    expect(released.reservation!.status).toBe(ReservationStatus.RELEASED);
    expect((await rejection(billing.admin.reservations.commitReservation({ tenantId, reservationId: r4.reservation!.reservationId, provider: 'openai', model: 'gpt-4', tokens: { promptTokens: 1n } }))).code).toBe(Code.FailedPrecondition);
    expect((await rejection(billing.admin.reservations.releaseReservation({ tenantId, reservationId: r1.reservation!.reservationId }))).code).toBe(Code.FailedPrecondition);
    const usage = await billing.admin.usage.getUsage({ tenantId, window: { case: 'period', value: UsagePeriod.DAY } });
    expect(usage.totals!.cost!.amountNanos).toBe(3_000_000n);
  });

  test('a reservation priced by billing from the expected usage holds that price; bad usage is refused with the field named', async () => {
    const tenantId = uniqueTenant();
    const { budget } = await billing.admin.budgets.createBudget({ tenantId, budget: { name: 'day', amountLimit: usd(10_000_000n), period: BudgetPeriod.DAY } });
    const usage = { provider: 'OpenAI', model: 'gpt-4', tokens: { promptTokens: 200n } };
    const priced = await billing.admin.reservations.reserveBudget({ tenantId, userId: 'u1', requestId: 'priced-1', estimatedUsage: usage });
    expect(priced.allowed).toBe(true);
    // 200 gpt-4 prompt tokens = 6,000,000 nanos, the same as EstimateCost says.
    const estimated = await billing.admin.estimation.estimateCost({ tenantId, provider: 'openai', model: 'gpt-4', tokens: { promptTokens: 200n } });
    expect(priced.reservation!.amount!.amountNanos).toBe(200n * GPT4_PROMPT);
    expect(priced.reservation!.amount!.amountNanos).toBe(estimated.cost!.amountNanos);
    expect(priced.reservation!.tokens).toBe(200n);
    expect(priced.estimatedCost).toEqual(expect.objectContaining({ currencyCode: 'USD', amountNanos: 6_000_000n }));
    expect((await spentOf(tenantId, budget!.budgetId)).reserved!.amountNanos).toBe(6_000_000n);
    // Two more such requests would overspend: the hard budget refuses the second.
    expect((await billing.admin.reservations.reserveBudget({ tenantId, userId: 'u1', requestId: 'priced-2', estimatedUsage: { ...usage, tokens: { promptTokens: 150n } } })).allowed).toBe(false);

    const refused = async (req: Parameters<typeof billing.admin.reservations.reserveBudget>[0]) => rejection(billing.admin.reservations.reserveBudget(req));
    const unknown = await refused({ tenantId, requestId: 'priced-3', estimatedUsage: { ...usage, model: 'no-such-model' } });
    expect(unknown.code).toBe(Code.NotFound);
    const both = await refused({ tenantId, requestId: 'priced-4', estimatedUsage: usage, estimatedCost: usd(1n) });
    expect([both.code, both.rawMessage]).toEqual([Code.InvalidArgument, expect.stringContaining('estimated_cost')]);
    const noTokens = await refused({ tenantId, requestId: 'priced-5', estimatedUsage: { provider: 'openai', model: 'gpt-4' } });
    expect([noTokens.code, noTokens.rawMessage]).toEqual([Code.InvalidArgument, expect.stringContaining('estimated_usage.tokens')]);
    const negative = await refused({ tenantId, requestId: 'priced-6', estimatedUsage: { ...usage, tokens: { promptTokens: -1n } } });
    expect(negative.code).toBe(Code.InvalidArgument);
  });

  test('an unsettled reservation expires and gives its hold back', async () => {
    const tenantId = uniqueTenant();
    const { budget } = await billing.admin.budgets.createBudget({ tenantId, budget: { name: 'tokens', tokenLimit: 1_000n, period: BudgetPeriod.FIXED, fixedStartTime: { seconds: 0n } } });
    const r = await billing.admin.reservations.reserveBudget({ tenantId, requestId: 'exp', estimatedTokens: 900n, ttl: { seconds: 1n } });
    expect(r.allowed).toBe(true);
    expect((await billing.admin.reservations.reserveBudget({ tenantId, requestId: 'exp-2', estimatedTokens: 200n })).allowed).toBe(false);
    await eventually(async () => ((await spentOf(tenantId, budget!.budgetId)).reservedTokens === 0n ? true : undefined), 10_000, 'the reservation to expire');
    expect((await billing.admin.reservations.reserveBudget({ tenantId, requestId: 'exp-3', estimatedTokens: 200n })).allowed).toBe(true);
    // Committing after expiry still books the usage: spend is never lost.
    const late = await billing.admin.reservations.commitReservation({ tenantId, reservationId: r.reservation!.reservationId, provider: 'openai', model: 'gpt-4', tokens: { promptTokens: 10n } });
    expect(late.reservation!.status).toBe(ReservationStatus.COMMITTED);
    await eventually(async () => ((await spentOf(tenantId, budget!.budgetId)).spentTokens === 10n ? true : undefined), 30_000, 'the late commit to be booked');
  });

  test('200 concurrent reservations against one hard budget never overspend it', async () => {
    const tenantId = uniqueTenant('race');
    const estimate = 100n * GPT4_PROMPT; // 3,000,000 nanos
    const limit = 100_000_000n; // room for 33 estimates
    const { budget } = await billing.admin.budgets.createBudget({ tenantId, budget: { name: 'race', amountLimit: usd(limit), period: BudgetPeriod.MONTH } });
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => billing.admin.reservations.reserveBudget({ tenantId, userId: `u${i % 7}`, requestId: `race-${i}`, estimatedCost: usd(estimate) })));
    const allowed = results.filter((r) => r.allowed);
    expect(allowed).toHaveLength(Number(limit / estimate));
    const held = await spentOf(tenantId, budget!.budgetId);
    expect(held.reserved!.amountNanos).toBe(BigInt(allowed.length) * estimate);
    // Settle concurrently with the actual usage (some used less than estimated).
    await Promise.all(allowed.map((r, i) => billing.admin.reservations.commitReservation({
      tenantId, reservationId: r.reservation!.reservationId, provider: 'openai', model: 'gpt-4', tokens: { promptTokens: i % 3 === 0 ? 50n : 100n },
    })));
    const expected = allowed.reduce((sum, _r, i) => sum + (i % 3 === 0 ? 50n : 100n) * GPT4_PROMPT, 0n);
    const final = await eventually(async () => {
      const s = await spentOf(tenantId, budget!.budgetId);
      return s.spent!.amountNanos === expected ? s : undefined;
    }, 60_000, 'every commit to be booked');
    expect(final.spent!.amountNanos <= limit).toBe(true);
    expect(final.reserved!.amountNanos).toBe(0n);
    const usage = await billing.admin.usage.getUsage({ tenantId, window: { case: 'period', value: UsagePeriod.MONTH } });
    expect(usage.totals!.cost!.amountNanos).toBe(expected);
    expect(usage.totals!.requestCount).toBe(BigInt(allowed.length));
  });
});
