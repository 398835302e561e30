import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ConnectRouter } from '@connectrpc/connect';
import { UsagePeriod, UsageTotalsSchema } from '@aegis/proto/aegis/billing/v1/usage_pb.js';
import { UsageService } from '@aegis/proto/aegis/billing/v1/usage_service_pb.js';
import { TimeIntervalSchema } from '@aegis/proto/aegis/common/v1/interval_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { invalidArgument, requireNonEmpty, requirePrincipal, unavailable, type EventPublisher } from '@aegis/shared';
import { money, requireTokens, tokensToProto } from '../money/proto-mapping.js';
import { periodContaining, type CalendarPeriod } from '../periods/period.js';
import type { TenantZones } from '../periods/tenant-zones.js';
import { dateOr } from '../prices/price-mapping.js';
import type { Pricer } from '../prices/pricer.js';
import { tenantOf } from '../request-context.js';
import { usageEvent } from './usage-entry.js';
import { usageTotals, type Totals } from './usage-query.js';
import type { SqlExecutor } from '@aegis/shared';

export interface UsageHandlerDeps {
  db: SqlExecutor;
  pricer: Pricer;
  publisher: EventPublisher;
  zones: TenantZones;
  currency: string;
  now: () => number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PERIODS: Partial<Record<UsagePeriod, CalendarPeriod>> = { [UsagePeriod.DAY]: 'day', [UsagePeriod.WEEK]: 'week', [UsagePeriod.MONTH]: 'month' };

function totalsToProto(t: Totals, currency: string) {
  return create(UsageTotalsSchema, { tokens: tokensToProto(t.tokens), cost: money(currency, t.costNanos), requestCount: t.requests, estimatedRequestCount: t.estimated });
}

export function registerUsageService(router: ConnectRouter, deps: UsageHandlerDeps): void {
  router.service(UsageService, {
    async recordUsage(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      if (req.eventId !== '' && !UUID.test(req.eventId)) throw invalidArgument('event_id', 'must be a UUID (UUIDv7), reused on retry');
      const provider = requireNonEmpty(req.provider, 'provider').toLowerCase();
      const model = requireNonEmpty(req.model, 'model');
      const tokens = requireTokens(req.tokens);
      const occurTime = dateOr(req.occurTime, new Date(deps.now()));
      // Priced now only to answer with the cost (and refuse an unknown model); the ledger prices it again, identically.
      const { cost, price } = await deps.pricer.cost(tenantId, provider, model, tokens, occurTime);
      const principal = requirePrincipal(ctx);
      const event = usageEvent({
        eventId: req.eventId.toLowerCase(), tenantId, userId: req.userId, apiKeyId: req.apiKeyId, provider, model, tokens,
        requestId: req.requestId, occurTime, estimated: req.estimated, reservationId: '', agentId: req.agentId,
      }, { type: principal.type === PrincipalType.UNSPECIFIED ? PrincipalType.SERVICE : principal.type, id: principal.id, userId: principal.userId, apiKeyId: principal.apiKeyId });
      try {
        await deps.publisher.publish(event);
      } catch (cause) {
        throw unavailable('the usage event log is not reachable; nothing was recorded, retry with the same event_id', { cause });
      }
      return { eventId: event.id, cost: money(price.currency, cost) };
    },

    async getUsage(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      if (req.userId !== '' && req.apiKeyId !== '') throw invalidArgument('api_key_id', 'give user_id or api_key_id, not both');
      const zone = deps.zones.zoneOf(tenantId);
      let start: Date;
      let end: Date;
      if (req.window.case === 'period') {
        const period = PERIODS[req.window.value];
        if (period === undefined) throw invalidArgument('period', 'must be DAY, WEEK or MONTH');
        ({ start, end } = periodContaining(dateOr(req.periodTime, new Date(deps.now())), period, zone));
      } else if (req.window.case === 'interval') {
        const interval = req.window.value;
        if (interval.startTime === undefined || interval.endTime === undefined) throw invalidArgument('interval', 'needs start_time and end_time');
        start = timestampDate(interval.startTime);
        end = timestampDate(interval.endTime);
        if (end.getTime() <= start.getTime()) throw invalidArgument('interval.end_time', 'must be after start_time');
      } else {
        throw invalidArgument('window', 'give a period or an interval');
      }
      const { totals, breakdown } = await usageTotals(deps.db, { tenantId, userId: req.userId, apiKeyId: req.apiKeyId, start, end });
      return {
        interval: create(TimeIntervalSchema, { startTime: timestampFromDate(start), endTime: timestampFromDate(end) }),
        timeZone: zone,
        totals: totalsToProto(totals, deps.currency),
        breakdown: breakdown.map((m) => ({ provider: m.provider, model: m.model, totals: totalsToProto(m.totals, deps.currency) })),
      };
    },
  });
}
