// Cost alerts end to end on both backends: thresholds in money and percent of a budget fire
// once per period, on the alerts topic, to a real local webhook receiver (HMAC-signed, retried
// after a failure) and by e-mail to a real SMTP server (smtp-server); an ended period resolves.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { AlertFiringState } from '@aegis/proto/aegis/billing/v1/alert_pb.js';
import { BudgetEnforcement, BudgetPeriod } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import { UsagePeriod } from '@aegis/proto/aegis/billing/v1/usage_pb.js';
import { CostAlertState } from '@aegis/proto/aegis/events/v1/cost_alert_event_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { decodeEvent, TOPICS, type SubscriptionHandle } from '@aegis/shared';
import { uniqueKafkaName } from '@aegis/shared/testing';
import { BACKENDS, eventually, rejection, startBilling, uniqueTenant, type RunningBilling } from './billing-harness.js';

const SECRET = 'webhook-secret-of-this-test';
const usd = (amountNanos: bigint) => ({ currencyCode: 'USD', amountNanos });

interface Received { eventId: string; body: string; signature: string }

function verify(body: string, header: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  const expected = createHmac('sha256', SECRET).update(`${match[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}

describe.each(BACKENDS)('billing cost alerts (%s)', (_name, backend) => {
  let billing: RunningBilling;
  let webhook: Server;
  let smtp: SMTPServer;
  let webhookUrl: string;
  const hooks: Received[] = [];
  const mails: string[] = [];
  let failNext = 1;
  const alertEvents: Event[] = [];
  let subscription: SubscriptionHandle;

  beforeAll(async () => {
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        // The first delivery fails: the dispatcher must retry it.
        if (failNext > 0) {
          failNext--;
          res.writeHead(503).end();
          return;
        }
        hooks.push({ eventId: String(req.headers['aegis-event-id']), body, signature: String(req.headers['aegis-signature']) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;
    smtp = new SMTPServer({
      authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
      onData(stream, _session, callback) {
        let text = '';
        stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        stream.on('end', () => {
          mails.push(text);
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    billing = await startBilling({
      backend: backend(),
      env: {
        AEGIS_BILLING_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, AEGIS_BILLING_ALERT_POLL_MS: '100', AEGIS_BILLING_ALERT_BACKOFF_MS: '100',
        AEGIS_BILLING_SWEEP_INTERVAL_MS: '200',
      },
    });
    subscription = await billing.events.subscribe({
      groupId: uniqueKafkaName('billing-alerts-test'), topics: [TOPICS.alerts], fromBeginning: true,
      async handleBatch(batch) {
        for (const consumed of batch) {
          try {
            alertEvents.push(decodeEvent(consumed.value));
          } catch { /* other producers' events */ }
        }
      },
    });
  });
  afterAll(async () => {
    await subscription?.stop();
    await billing?.stop();
    await new Promise((resolve) => webhook?.close(resolve));
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  });

  test('alert validation', async () => {
    const tenantId = uniqueTenant();
    expect((await rejection(billing.admin.alerts.createCostAlert({ tenantId, alert: { name: 'x', period: BudgetPeriod.DAY, thresholds: [{ kind: { case: 'percent', value: 50 } }] } }))).code).toBe(Code.InvalidArgument);
    expect((await rejection(billing.admin.alerts.createCostAlert({ tenantId, alert: { name: 'x', period: BudgetPeriod.DAY, thresholds: [] } }))).code).toBe(Code.InvalidArgument);
    expect((await rejection(billing.admin.alerts.createCostAlert({ tenantId, alert: { name: 'x', period: BudgetPeriod.DAY, thresholds: [{ kind: { case: 'amount', value: usd(1n) } }], channels: [{ kind: { case: 'webhook', value: { url: 'http://example.com/x', secret: SECRET } } }] } }))).code).toBe(Code.InvalidArgument);
    expect((await rejection(billing.admin.alerts.createCostAlert({ tenantId, alert: { name: 'x', budgetId: '01890a5d-ac96-774b-bcce-b302099a8057', thresholds: [{ kind: { case: 'percent', value: 50 } }] } }))).code).toBe(Code.NotFound);
  });

  test('percent and money thresholds fire once per period on the topic, a signed webhook (retried) and e-mail', async () => {
    const tenantId = uniqueTenant('alerts');
    const { budget } = await billing.admin.budgets.createBudget({ tenantId, budget: { name: 'month', amountLimit: usd(10_000_000n), period: BudgetPeriod.MONTH, enforcement: BudgetEnforcement.SOFT } });
    const { alert } = await billing.admin.alerts.createCostAlert({
      tenantId,
      alert: {
        name: 'spend watch', budgetId: budget!.budgetId, enabled: true,
        thresholds: [{ kind: { case: 'percent', value: 50 } }, { kind: { case: 'percent', value: 80 } }, { kind: { case: 'amount', value: usd(50_000_000n) } }],
        channels: [{ kind: { case: 'webhook', value: { url: webhookUrl, secret: SECRET } } }, { kind: { case: 'email', value: { to: ['ops@example.com'] } } }],
      },
    });
    expect(alert!.channels[0]!.kind).toMatchObject({ case: 'webhook', value: { secret: '', secretSet: true } });
    // 100 gpt-4 prompt tokens = 3,000,000 nanos = 30 % of the budget each.
    const spend = () => billing.admin.usage.recordUsage({ tenantId, userId: 'u', provider: 'openai', model: 'gpt-4', tokens: { promptTokens: 100n } });
    await spend();
    await spend();
    await eventually(async () => ((await billing.admin.alerts.listAlertFirings({ tenantId })).firings.length === 1 ? true : undefined), 30_000, 'the 50 % firing');
    await spend();
    await spend();
    const firings = await eventually(async () => {
      const { firings: list } = await billing.admin.alerts.listAlertFirings({ tenantId, alertId: alert!.alertId });
      return list.length === 2 ? list : undefined;
    }, 30_000, 'the 80 % firing');
    expect(firings.map((f) => (f.threshold!.kind.case === 'percent' ? f.threshold!.kind.value : -1)).sort()).toEqual([50, 80]);
    expect(firings.every((f) => f.state === AlertFiringState.FIRING)).toBe(true);
    const ids = new Set(firings.map((f) => f.eventId));
    await eventually(async () => (hooks.filter((h) => ids.has(h.eventId)).length === 2 ? true : undefined), 30_000, 'two webhooks');
    for (const hook of hooks.filter((h) => ids.has(h.eventId))) {
      expect(verify(hook.body, hook.signature)).toBe(true);
      expect(JSON.parse(hook.body)).toMatchObject({ tenantId, action: 'cost_alert.triggered', costAlert: { alertId: alert!.alertId, state: 'COST_ALERT_STATE_TRIGGERED' } });
    }
    await eventually(async () => (mails.filter((m) => [...ids].some((id) => m.includes(id))).length === 2 ? true : undefined), 30_000, 'two e-mails');
    expect(mails.some((m) => m.includes('spend watch'))).toBe(true);
    const topic = await eventually(async () => {
      const mine = alertEvents.filter((e) => e.tenantId === tenantId);
      return mine.length === 2 ? mine : undefined;
    }, 30_000, 'two events on the alerts topic');
    expect(topic.every((e) => e.payload.case === 'costAlert' && e.payload.value.state === CostAlertState.TRIGGERED)).toBe(true);
    // More spend in the same period fires nothing new below the money threshold.
    await spend();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await billing.admin.alerts.listAlertFirings({ tenantId })).firings).toHaveLength(2);
  });

  test('a firing resolves when its period ends', async () => {
    const tenantId = uniqueTenant('resolve');
    const end = new Date(Date.now() + 4_000);
    const { budget } = await billing.admin.budgets.createBudget({ tenantId, budget: { name: 'short', tokenLimit: 100n, period: BudgetPeriod.FIXED, fixedStartTime: timestampFromDate(new Date(Date.now() - 60_000)), fixedEndTime: timestampFromDate(end), enforcement: BudgetEnforcement.SOFT } });
    await billing.admin.alerts.createCostAlert({ tenantId, alert: { name: 'tokens', budgetId: budget!.budgetId, enabled: true, thresholds: [{ kind: { case: 'percent', value: 100 } }] } });
    await billing.admin.usage.recordUsage({ tenantId, provider: 'openai', model: 'gpt-4', tokens: { promptTokens: 150n } });
    await eventually(async () => ((await billing.admin.alerts.listAlertFirings({ tenantId, firingOnly: true })).firings.length === 1 ? true : undefined), 30_000, 'the firing');
    const resolved = await eventually(async () => {
      const { firings } = await billing.admin.alerts.listAlertFirings({ tenantId });
      return firings[0]?.state === AlertFiringState.RESOLVED ? firings[0] : undefined;
    }, 30_000, 'the resolution');
    expect(resolved.resolveTime).toBeDefined();
    await eventually(async () => (alertEvents.some((e) => e.tenantId === tenantId && e.payload.case === 'costAlert' && e.payload.value.state === CostAlertState.RESOLVED) ? true : undefined), 30_000, 'the resolved event');
  });

  test('an alert without a budget books late usage in the period of its occur_time, not the current one', async () => {
    const tenantId = uniqueTenant('late');
    const { alert } = await billing.admin.alerts.createCostAlert({
      tenantId, alert: { name: 'daily spend', period: BudgetPeriod.DAY, enabled: true, thresholds: [{ kind: { case: 'amount', value: usd(5_000_000n) } }] },
    });
    const dayMs = 86_400_000;
    const today = Math.floor(Date.now() / dayMs) * dayMs;
    const twoDaysAgo = today - 2 * dayMs;
    // 200 gpt-4 prompt tokens = 6,000,000 nanos, reported late: it crosses the threshold of its own (UTC) day.
    await billing.admin.usage.recordUsage({ tenantId, userId: 'u', provider: 'openai', model: 'gpt-4', tokens: { promptTokens: 200n }, occurTime: timestampFromDate(new Date(twoDaysAgo + 12 * 3_600_000)) });
    const [firing] = await eventually(async () => {
      const { firings } = await billing.admin.alerts.listAlertFirings({ tenantId, alertId: alert!.alertId });
      return firings.length === 1 ? firings : undefined;
    }, 30_000, 'the firing of the late day');
    expect(Number(firing!.period!.startTime!.seconds) * 1000).toBe(twoDaysAgo);
    expect(Number(firing!.period!.endTime!.seconds) * 1000).toBe(twoDaysAgo + dayMs);
    expect(firing!.spent!.amountNanos).toBe(6_000_000n);
    // 3,000,000 nanos today: today's period holds only that, below the threshold, so nothing fires for today.
    await billing.admin.usage.recordUsage({ tenantId, userId: 'u', provider: 'openai', model: 'gpt-4', tokens: { promptTokens: 100n } });
    await eventually(async () => ((await billing.admin.usage.getUsage({ tenantId, window: { case: 'period', value: UsagePeriod.DAY } })).totals!.requestCount === 1n ? true : undefined), 30_000, 'today\'s usage booked');
    const { firings } = await billing.admin.alerts.listAlertFirings({ tenantId, alertId: alert!.alertId });
    expect(firings.map((f) => Number(f.period!.startTime!.seconds) * 1000)).toEqual([twoDaysAgo]);
  });
});
