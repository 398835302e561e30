// Prices, estimation and usage through the service, on both backends: the plan's table is in
// the catalogue, overrides and effective dates apply, unknown models are NotFound, and
// RecordUsage reaches the ledger exactly once (GetUsage by tenant, user, key, with breakdown).
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { UsagePeriod } from '@aegis/proto/aegis/billing/v1/usage_pb.js';
import { BACKENDS, eventually, PLATFORM_TENANT, rejection, startBilling, uniqueTenant, type RunningBilling } from './billing-harness.js';

describe.each(BACKENDS)('billing prices and usage (%s)', (_name, backend) => {
  let billing: RunningBilling;
  beforeAll(async () => {
    billing = await startBilling({ backend: backend() });
  });
  afterAll(async () => {
    await billing?.stop();
  });

  test('the catalogue holds the plan table exactly (USD per 1K tokens as nanos per 1M)', async () => {
    const expected: [string, string, bigint, bigint][] = [
      ['openai', 'gpt-4', 30_000_000_000n, 60_000_000_000n],
      ['openai', 'gpt-3.5-turbo', 1_500_000_000n, 2_000_000_000n],
      ['anthropic', 'claude-3-opus', 15_000_000_000n, 75_000_000_000n],
      ['anthropic', 'claude-3-sonnet', 3_000_000_000n, 15_000_000_000n],
    ];
    for (const [provider, model, prompt, completion] of expected) {
      const { price } = await billing.admin.prices.getModelPrice({ tenantId: PLATFORM_TENANT, provider, model });
      expect([price!.promptNanosPerMillion, price!.completionNanosPerMillion, price!.currencyCode, price!.tenantId]).toEqual([prompt, completion, 'USD', PLATFORM_TENANT]);
    }
  });

  test('EstimateCost prices exactly and rounds once, half to even', async () => {
    const tenantId = uniqueTenant();
    // gpt-4: 1000 prompt x $0.03/1K + 500 completion x $0.06/1K = $0.06 = 60,000,000 nanos.
    const a = await billing.admin.estimation.estimateCost({ tenantId, provider: 'openai', model: 'gpt-4', tokens: { promptTokens: 1000n, completionTokens: 500n } });
    expect(a.cost).toMatchObject({ currencyCode: 'USD', amountNanos: 60_000_000n });
    // gpt-4o cached tokens at their own price: 1000 prompt of which 400 cached: 600 x 2500 + 400 x 1250 = 2,000,000 nanos; 1 completion = 10,000.
    const b = await billing.admin.estimation.estimateCost({ tenantId, provider: 'openai', model: 'gpt-4o', tokens: { promptTokens: 1000n, cachedPromptTokens: 400n, completionTokens: 1n } });
    expect(b.cost!.amountNanos).toBe(2_010_000n);
    const parts = await rejection(billing.admin.estimation.estimateCost({ tenantId, provider: 'openai', model: 'gpt-4o', tokens: { promptTokens: 10n, cachedPromptTokens: 11n } }));
    expect(parts.code).toBe(Code.InvalidArgument);
  });

  test('an unknown model is NotFound, never a silent zero', async () => {
    const tenantId = uniqueTenant();
    expect((await rejection(billing.admin.estimation.estimateCost({ tenantId, provider: 'openai', model: 'gpt-unknown', tokens: { promptTokens: 1n } }))).code).toBe(Code.NotFound);
    expect((await rejection(billing.admin.estimation.estimateTokens({ tenantId, provider: 'acme', model: 'x', text: 'hi' }))).code).toBe(Code.NotFound);
    expect((await rejection(billing.admin.usage.recordUsage({ tenantId, provider: 'acme', model: 'x', tokens: { promptTokens: 1n } }))).code).toBe(Code.NotFound);
  });

  test('EstimateTokens counts with a real tokenizer and flags stand-ins', async () => {
    const gpt = await billing.admin.estimation.estimateTokens({ tenantId: uniqueTenant(), provider: 'openai', model: 'gpt-4', text: 'hello world' });
    expect(gpt).toMatchObject({ tokens: 2n, tokenizer: 'cl100k_base', exact: true });
    const claude = await billing.admin.estimation.estimateTokens({ tenantId: uniqueTenant(), provider: 'anthropic', model: 'claude-3-opus', text: 'hello world' });
    expect(claude).toMatchObject({ tokenizer: 'cl100k_base', exact: false });
  });

  test('a tenant override applies from its effective time; history is kept and in-force prices cannot be deleted', async () => {
    const tenantId = uniqueTenant();
    const future = new Date(Date.now() + 3_600_000);
    const created = await billing.admin.prices.createModelPrice({ tenantId, price: { provider: 'openai', model: 'gpt-4', promptNanosPerMillion: 1_000n, completionNanosPerMillion: 2_000n, effectiveTime: timestampFromDate(future) } });
    const now = await billing.admin.prices.getModelPrice({ tenantId, provider: 'openai', model: 'gpt-4' });
    expect(now.price!.tenantId).toBe(PLATFORM_TENANT);
    const later = await billing.admin.prices.getModelPrice({ tenantId, provider: 'openai', model: 'gpt-4', time: timestampFromDate(new Date(future.getTime() + 1)) });
    expect(later.price).toMatchObject({ tenantId, promptNanosPerMillion: 1_000n });
    const past = await rejection(billing.admin.prices.createModelPrice({ tenantId, price: { provider: 'openai', model: 'gpt-4', promptNanosPerMillion: 1n, completionNanosPerMillion: 1n, effectiveTime: timestampFromDate(new Date(Date.now() - 3_600_000)) } }));
    expect(past.code).toBe(Code.InvalidArgument);
    const dup = await rejection(billing.admin.prices.createModelPrice({ tenantId, price: { provider: 'openai', model: 'gpt-4', promptNanosPerMillion: 5n, completionNanosPerMillion: 5n, effectiveTime: timestampFromDate(future) } }));
    expect(dup.code).toBe(Code.AlreadyExists);
    const current = await billing.admin.prices.createModelPrice({ tenantId, price: { provider: 'openai', model: 'gpt-4', promptNanosPerMillion: 7n, completionNanosPerMillion: 7n } });
    expect((await rejection(billing.admin.prices.deleteModelPrice({ tenantId, priceId: current.price!.priceId }))).code).toBe(Code.FailedPrecondition);
    await billing.admin.prices.deleteModelPrice({ tenantId, priceId: created.price!.priceId });
    const history = await billing.admin.prices.listModelPrices({ tenantId, provider: 'openai', includeHistory: true });
    expect(history.prices.filter((p) => p.tenantId === tenantId).map((p) => p.promptNanosPerMillion)).toEqual([7n]);
    const inForce = await billing.admin.prices.listModelPrices({ tenantId, provider: 'openai' });
    expect(inForce.prices.find((p) => p.model === 'gpt-4')!.promptNanosPerMillion).toBe(7n);
  });

  test('RecordUsage is booked once per event id; GetUsage totals and breaks down by model, user and key', async () => {
    const tenantId = uniqueTenant();
    const eventId = '01890a5d-ac96-774b-bcce-b302099a8057';
    const first = await billing.admin.usage.recordUsage({ tenantId, eventId, userId: 'u1', apiKeyId: 'k1', provider: 'openai', model: 'gpt-4', tokens: { promptTokens: 1000n, completionTokens: 500n } });
    expect(first.cost!.amountNanos).toBe(60_000_000n);
    // A retry with the same id is published again and deduped by the ledger.
    await billing.admin.usage.recordUsage({ tenantId, eventId, userId: 'u1', apiKeyId: 'k1', provider: 'openai', model: 'gpt-4', tokens: { promptTokens: 1000n, completionTokens: 500n } });
    await billing.admin.usage.recordUsage({ tenantId, userId: 'u2', provider: 'anthropic', model: 'claude-3-opus', tokens: { promptTokens: 2000n, completionTokens: 100n }, estimated: true });
    const tenantUsage = await eventually(async () => {
      const usage = await billing.admin.usage.getUsage({ tenantId, window: { case: 'period', value: UsagePeriod.DAY } });
      return usage.totals!.requestCount === 2n ? usage : undefined;
    }, 30_000, 'the ledger to book two events');
    // claude-3-opus: 2000 x 15,000 + 100 x 75,000 nanos per 1K = 30,000,000 + 7,500,000.
    expect(tenantUsage.totals!.cost!.amountNanos).toBe(60_000_000n + 37_500_000n);
    expect(tenantUsage.totals!.estimatedRequestCount).toBe(1n);
    expect(tenantUsage.breakdown.map((m) => [m.provider, m.model, m.totals!.cost!.amountNanos])).toEqual([
      ['openai', 'gpt-4', 60_000_000n],
      ['anthropic', 'claude-3-opus', 37_500_000n],
    ]);
    expect(tenantUsage.timeZone).toBe('UTC');
    const byUser = await billing.admin.usage.getUsage({ tenantId, userId: 'u2', window: { case: 'period', value: UsagePeriod.MONTH } });
    expect(byUser.totals!.tokens!.promptTokens).toBe(2000n);
    const byKey = await billing.admin.usage.getUsage({ tenantId, apiKeyId: 'k1', window: { case: 'interval', value: { startTime: timestampFromDate(new Date(Date.now() - 60_000)), endTime: timestampFromDate(new Date(Date.now() + 60_000)) } } });
    expect(byKey.totals).toMatchObject({ requestCount: 1n, cost: { amountNanos: 60_000_000n } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const again = await billing.admin.usage.getUsage({ tenantId, window: { case: 'period', value: UsagePeriod.WEEK } });
    expect(again.totals!.requestCount).toBe(2n);
  });
});
