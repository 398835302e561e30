import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { AlertFiringSchema, AlertFiringState, CostAlertSchema, type AlertFiring, type AlertThreshold, type CostAlert } from '@aegis/proto/aegis/billing/v1/alert_pb.js';
import { BudgetPeriod } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import { invalidArgument, seal, type Keyring } from '@aegis/shared';
import { periodOf, periodToProto } from '../budgets/budget-mapping.js';
import { money, requireMoney } from '../money/proto-mapping.js';
import { isEmailAddress, webhookUrlProblem, type AlertRow, type Channel, type Threshold } from './alert.js';
import { webhookSecretAd } from './dispatcher.js';

function thresholdToProto(t: Threshold, currency: string): AlertThreshold['kind'] {
  return 'amountNanos' in t ? { case: 'amount', value: money(currency, t.amountNanos) } : { case: 'percent', value: t.percent };
}

export function alertToProto(a: AlertRow, currency: string): CostAlert {
  return create(CostAlertSchema, {
    tenantId: a.tenantId, alertId: a.alertId, name: a.name, budgetId: a.budgetId, userId: a.userId, apiKeyId: a.apiKeyId,
    period: a.budgetId === '' ? periodToProto(a.period) : BudgetPeriod.UNSPECIFIED,
    thresholds: a.thresholds.map((t) => ({ kind: thresholdToProto(t, currency) })),
    // Webhook secrets are write-only.
    channels: a.channels.map((c) => ({ kind: 'webhook' in c ? { case: 'webhook' as const, value: { url: c.webhook.url, secret: '', secretSet: c.webhook.sealedSecret !== '' } } : { case: 'email' as const, value: { to: c.email.to } } })),
    enabled: a.enabled, version: a.version, createTime: timestampFromDate(a.createTime), updateTime: timestampFromDate(a.updateTime), updatedBy: a.updatedBy,
  });
}

/** Validated fields of an alert from a request; `previous` supplies webhook secrets left empty on update. */
export function alertFields(a: CostAlert | undefined, alertId: string, currency: string, keyring: Keyring, emailEnabled: boolean, previous?: AlertRow): Pick<AlertRow, 'name' | 'budgetId' | 'userId' | 'apiKeyId' | 'period' | 'thresholds' | 'channels' | 'enabled'> {
  if (a === undefined) throw invalidArgument('alert', 'is required');
  const name = a.name.trim();
  if (name === '' || name.length > 200) throw invalidArgument('alert.name', 'must be 1-200 characters');
  if (a.thresholds.length < 1 || a.thresholds.length > 10) throw invalidArgument('alert.thresholds', 'give 1-10 thresholds');
  const thresholds: Threshold[] = a.thresholds.map((t, i) => {
    if (t.kind.case === 'amount') return { amountNanos: requireMoney(`alert.thresholds[${i}].amount`, t.kind.value, currency)! };
    if (t.kind.case === 'percent') {
      if (a.budgetId === '') throw invalidArgument(`alert.thresholds[${i}].percent`, 'percent thresholds need a budget_id');
      if (t.kind.value < 1 || t.kind.value > 1000) throw invalidArgument(`alert.thresholds[${i}].percent`, 'must be 1-1000');
      return { percent: t.kind.value };
    }
    throw invalidArgument(`alert.thresholds[${i}]`, 'set amount or percent');
  });
  if (a.budgetId === '' && a.userId !== '' && a.apiKeyId !== '') throw invalidArgument('alert.api_key_id', 'watch a user or a key, not both');
  const period = a.budgetId === '' ? periodOf(a.period, 'alert.period') : 'month';
  if (a.budgetId === '' && period === 'fixed') throw invalidArgument('alert.period', 'without a budget the period must be DAY, WEEK or MONTH');
  const previousSecrets = new Map((previous?.channels ?? []).flatMap((c) => ('webhook' in c ? [[c.webhook.url, c.webhook.sealedSecret] as const] : [])));
  const channels: Channel[] = a.channels.map((c, i) => {
    if (c.kind.case === 'webhook') {
      const problem = webhookUrlProblem(c.kind.value.url);
      if (problem !== undefined) throw invalidArgument(`alert.channels[${i}].webhook.url`, problem);
      let sealedSecret = previousSecrets.get(c.kind.value.url) ?? '';
      if (c.kind.value.secret !== '') {
        if (c.kind.value.secret.length < 16) throw invalidArgument(`alert.channels[${i}].webhook.secret`, 'must be at least 16 characters');
        sealedSecret = seal(keyring, Buffer.from(c.kind.value.secret, 'utf8'), webhookSecretAd(alertId));
      }
      if (sealedSecret === '') throw invalidArgument(`alert.channels[${i}].webhook.secret`, 'is required for a new webhook');
      return { webhook: { url: c.kind.value.url, sealedSecret } };
    }
    if (c.kind.case === 'email') {
      if (!emailEnabled) throw invalidArgument(`alert.channels[${i}].email`, 'e-mail is not configured on this deployment (AEGIS_BILLING_SMTP_URL)');
      const to = c.kind.value.to;
      if (to.length < 1 || to.length > 20) throw invalidArgument(`alert.channels[${i}].email.to`, 'give 1-20 addresses');
      const bad = to.findIndex((addr) => !isEmailAddress(addr));
      if (bad >= 0) throw invalidArgument(`alert.channels[${i}].email.to[${bad}]`, 'is not an e-mail address');
      return { email: { to: [...to] } };
    }
    throw invalidArgument(`alert.channels[${i}]`, 'set webhook or email');
  });
  return { name, budgetId: a.budgetId, userId: a.budgetId === '' ? a.userId : '', apiKeyId: a.budgetId === '' ? a.apiKeyId : '', period, thresholds, channels, enabled: a.enabled };
}

export function firingToProto(f: { alert_id: string; threshold: unknown; period_start: Date | string; period_end: Date | string | null; state: number; spent_nanos: string; fire_time: Date | string; resolve_time: Date | string | null; event_id: string }, currency: string): AlertFiring {
  const stored = (typeof f.threshold === 'string' ? JSON.parse(f.threshold) : f.threshold) as ({ amount: string } | { percent: number })[];
  const t: Threshold = 'amount' in stored[0]! ? { amountNanos: BigInt(stored[0].amount) } : { percent: stored[0]!.percent };
  return create(AlertFiringSchema, {
    alertId: f.alert_id, threshold: { kind: thresholdToProto(t, currency) },
    period: { startTime: timestampFromDate(new Date(f.period_start)), ...(f.period_end !== null ? { endTime: timestampFromDate(new Date(f.period_end)) } : {}) },
    state: f.state === 2 ? AlertFiringState.RESOLVED : AlertFiringState.FIRING, spent: money(currency, BigInt(f.spent_nanos)),
    fireTime: timestampFromDate(new Date(f.fire_time)), ...(f.resolve_time !== null ? { resolveTime: timestampFromDate(new Date(f.resolve_time)) } : {}), eventId: f.event_id,
  });
}
