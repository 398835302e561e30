// aegis usage show: billing's GetUsage, totals and the provider/model breakdown.
import { GetUsageResponseSchema, UsageService } from '@aegis/proto/aegis/billing/v1/usage_service_pb.js';
import { UsagePeriod, type ModelUsage, type UsageTotals } from '@aegis/proto/aegis/billing/v1/usage_pb.js';
import { EXIT } from '../../command.js';
import { messageJson } from '../../output/json.js';
import { renderFields, renderTable } from '../../output/table.js';
import { money, parseEnum, time } from '../../output/values.js';
import { instant } from '../../server/arguments.js';
import { serverCommand, UsageError } from '../../server/server-command.js';

const tokens = (t: UsageTotals | undefined) => `${t?.tokens?.promptTokens ?? 0n} in / ${t?.tokens?.completionTokens ?? 0n} out`;

export const usageShow = serverCommand({
  group: 'usage', name: 'show', summary: 'Token usage and cost, with a per-model breakdown',
  usage: '[options]',
  description: `Totals (tokens, cost, requests) of the tenant, a user (--user) or a key (--key) over a
calendar period in the tenant's time zone (--period, default month; --at picks another one)
or an explicit interval (--from/--to), and the breakdown by provider and model.
Reads the ledger: usage still in the event topic (typically under a second) is not counted yet.`,
  services: ['billing'],
  options: {
    user: { type: 'string', placeholder: 'user-id', help: "Only this user's usage" },
    key: { type: 'string', placeholder: 'key-id', help: "Only this API key's usage" },
    period: { type: 'string', placeholder: 'period', help: 'day, week or month (default month)' },
    at: { type: 'string', placeholder: 'time', help: 'A time inside the wanted period (default now)' },
    from: { type: 'string', placeholder: 'time', help: 'Start of an explicit interval (instead of --period)' },
    to: { type: 'string', placeholder: 'time', help: 'End of the interval, exclusive (default now)' },
  },
  examples: ['aegis usage show --user 0193... --period day', 'aegis usage show --from 2026-01-01 --to 2026-02-01 --json'],
  async run(ctx) {
    const userId = ctx.string('user') ?? '';
    const apiKeyId = ctx.string('key') ?? '';
    if (userId !== '' && apiKeyId !== '') throw new UsageError('--user and --key cannot be used together');
    const from = ctx.string('from');
    const to = ctx.string('to');
    const periodText = ctx.string('period');
    if ((from !== undefined || to !== undefined) && (periodText !== undefined || ctx.string('at') !== undefined)) throw new UsageError('use --period/--at or --from/--to, not both');
    let window: { case: 'period'; value: UsagePeriod } | { case: 'interval'; value: { startTime?: ReturnType<typeof instant>; endTime?: ReturnType<typeof instant> } };
    if (from !== undefined || to !== undefined) {
      window = { case: 'interval', value: { ...(from !== undefined ? { startTime: instant('from', from) } : {}), ...(to !== undefined ? { endTime: instant('to', to) } : {}) } };
    } else {
      const period = parseEnum(UsagePeriod, periodText ?? 'month', 'USAGE_PERIOD');
      if (period === undefined) throw new UsageError('--period must be day, week or month');
      window = { case: 'period', value: period };
    }
    const at = ctx.string('at');
    const res = await ctx.client(UsageService).getUsage({ tenantId: await ctx.tenant(), userId, apiKeyId, window, ...(at !== undefined ? { periodTime: instant('at', at) } : {}) });
    const t = res.totals;
    ctx.print(messageJson(GetUsageResponseSchema, res), () => `${renderFields([
      ['subject', userId !== '' ? `user ${userId}` : apiKeyId !== '' ? `key ${apiKeyId}` : 'tenant'],
      ['interval', `${time(res.interval?.startTime)} - ${time(res.interval?.endTime)} (${res.timeZone})`],
      ['requests', `${t?.requestCount ?? 0n}${(t?.estimatedRequestCount ?? 0n) > 0n ? ` (${t!.estimatedRequestCount} with estimated tokens)` : ''}`],
      ['tokens', tokens(t)], ['cost', money(t?.cost)],
    ])}\n${renderTable([
      { header: 'provider', value: (m: ModelUsage) => m.provider },
      { header: 'model', value: (m) => m.model },
      { header: 'requests', value: (m) => String(m.totals?.requestCount ?? 0n) },
      { header: 'tokens', value: (m) => tokens(m.totals) },
      { header: 'cost', value: (m) => money(m.totals?.cost) },
    ], res.breakdown, '(no usage in this interval)')}`);
    return EXIT.ok;
  },
});
