// Tenant time zones from auth (aegis.tenants.v1) into billing, on both backend sets: a tenant
// created in auth in Pacific/Kiritimati (UTC+14, local midnight = 10:00 UTC) makes a daily
// budget without its own time_zone, and GetUsage's DAY period, follow local midnight.
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { TenantService } from '@aegis/proto/aegis/auth/v1/tenant_service_pb.js';
import { BudgetPeriod } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import { UsagePeriod } from '@aegis/proto/aegis/billing/v1/usage_pb.js';
import { BACKENDS, eventually, startBilling, uniqueTenant, type RunningBilling } from './billing-harness.js';

const ZONE = 'Pacific/Kiritimati';
const DAY_MS = 86_400_000;

describe.each(BACKENDS)('tenant time zones from auth (%s)', (_name, backend) => {
  let billing: RunningBilling;
  beforeAll(async () => {
    billing = await startBilling({ backend: backend(), env: { AEGIS_BILLING_CHECK_CACHE_MS: '0' } });
  });
  afterAll(async () => {
    await billing?.stop();
  });

  test("a daily budget without a time zone and GetUsage's day follow the tenant's local midnight", async () => {
    const tenantId = uniqueTenant('tz');
    const tenants = createClient(TenantService, createConnectTransport({
      baseUrl: billing.authUrl, httpVersion: '1.1',
      interceptors: [(next) => (req) => {
        req.header.set('authorization', `Bearer ${billing.adminKey}`);
        return next(req);
      }],
    }));
    await tenants.createTenant({ tenantId, displayName: 'Far east', timeZone: ZONE, adminEmail: `admin@${tenantId}.example` });
    const { budget } = await billing.admin.budgets.createBudget({ tenantId, budget: { name: 'daily', tokenLimit: 1_000_000n, period: BudgetPeriod.DAY } });
    expect(budget!.timeZone).toBe('');
    // The zone arrives through the topic: until then the budget's day is the UTC day.
    const status = await eventually(async () => {
      const { statuses } = await billing.admin.budgets.getRemainingBudget({ tenantId, budgetId: budget!.budgetId });
      return timestampDate(statuses[0]!.period!.startTime!).getUTCHours() === 10 ? statuses[0]! : undefined;
    }, 30_000, "the budget's period to start at Kiritimati midnight");
    const start = timestampDate(status.period!.startTime!).getTime();
    expect(timestampDate(status.period!.endTime!).getTime() - start).toBe(DAY_MS);
    expect(start).toBeLessThanOrEqual(Date.now());
    expect(Date.now()).toBeLessThan(start + DAY_MS);

    // One second before and at local midnight: both in one UTC day, but in two local days.
    const record = (promptTokens: bigint, at: number) => billing.admin.usage.recordUsage({
      tenantId, userId: 'u', provider: 'openai', model: 'gpt-4', tokens: { promptTokens }, occurTime: timestampFromDate(new Date(at)),
    });
    await record(200n, start - 1_000);
    await record(100n, start);
    const around = { startTime: timestampFromDate(new Date(start - DAY_MS)), endTime: timestampFromDate(new Date(start + DAY_MS)) };
    await eventually(async () => ((await billing.admin.usage.getUsage({ tenantId, window: { case: 'interval', value: around } })).totals!.requestCount === 2n ? true : undefined),
      30_000, 'both usages booked');
    const { statuses } = await billing.admin.budgets.getRemainingBudget({ tenantId, budgetId: budget!.budgetId });
    expect(statuses[0]!.spentTokens).toBe(100n);

    // GetUsage's day (no zone in the request): the tenant's, and only the usage after local midnight.
    const day = await billing.admin.usage.getUsage({ tenantId, window: { case: 'period', value: UsagePeriod.DAY } });
    expect(day.timeZone).toBe(ZONE);
    expect(timestampDate(day.interval!.startTime!).getTime()).toBe(start);
    expect(day.totals).toMatchObject({ requestCount: 1n, cost: { amountNanos: 3_000_000n } });
    const yesterday = await billing.admin.usage.getUsage({ tenantId, window: { case: 'period', value: UsagePeriod.DAY }, periodTime: timestampFromDate(new Date(start - 1_000)) });
    expect(timestampDate(yesterday.interval!.startTime!).getTime()).toBe(start - DAY_MS);
    expect(yesterday.totals).toMatchObject({ requestCount: 1n, cost: { amountNanos: 6_000_000n } });
  });
});
