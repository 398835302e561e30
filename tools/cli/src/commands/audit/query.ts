// `aegis audit query`: the audit sink's QueryAuditEvents, page by page, as a table or --json.
// A page token only continues the query that made it (the sink binds it to the filters, the
// window and the order), so --page-token goes with the same flags as the run that printed it,
// and a window given as a duration ago is repeated as the times it resolved to.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { AuditLogService, type QueryAuditEventsRequestSchema } from '@aegis/proto/aegis/events/v1/audit_log_service_pb.js';
import { Outcome, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { eventToJson } from '@aegis/shared/audit-integrity';
import { EXIT } from '../../command.js';
import { renderTable } from '../../output/table.js';
import { time } from '../../output/values.js';
import { serverCommand, UsageError } from '../../server/server-command.js';
import { classificationOf, filterOf, FILTER_OPTIONS, pastTime, positiveCount } from './audit-filter.js';

const DEFAULT_LIMIT = 100;
/** The contract's largest page. */
const MAX_PAGE = 1000;

const summaryOf = (e: Event): string => {
  if (e.payload.case === 'audit') return e.payload.value.message;
  if (e.payload.case === 'auditCheckpoint') return `checkpoint ${e.payload.value.producerId} through sequence ${e.payload.value.sequence}`;
  return '';
};

export const auditQuery = serverCommand({
  group: 'audit', name: 'query', summary: 'Search stored audit events (by user, actor, action, time)',
  usage: '[options]',
  description: `Searches the audit events the audit sink has stored (years, by classification; Kafka
keeps 30 days), newest first unless --ascending. Prints up to --limit events (default
${DEFAULT_LIMIT}) or, with --all, every match; when more remain it says how to continue
(--page-token, with the same filters; a --since or --until given as a duration ago
is repeated as the time it meant). --json prints {"events": [...], "nextPageToken": ...}
with each event in canonical protobuf JSON. Needs the audit:read permission in the tenant.`,
  services: ['audit'],
  tenantOptional: true,
  options: {
    ...FILTER_OPTIONS,
    since: { type: 'string', placeholder: 'time', help: 'Events at or after an RFC 3339 time or date, or a duration ago (2h, 7d)' },
    until: { type: 'string', placeholder: 'time', help: 'Events before this time (same forms as --since)' },
    ascending: { type: 'boolean', help: 'Oldest first (default newest first)' },
    limit: { type: 'string', placeholder: 'n', help: `Print at most n events (default ${DEFAULT_LIMIT})` },
    all: { type: 'boolean', help: 'Every matching event, page after page (progress on stderr)' },
    'page-size': { type: 'string', placeholder: 'n', help: `Events per request to the sink, 1-${MAX_PAGE} (default: as many as needed, at most ${MAX_PAGE})` },
    'page-token': { type: 'string', placeholder: 'token', help: 'Continue where a previous run stopped' },
  },
  examples: [
    'aegis audit query --user 0193... --since 7d',
    'aegis audit query --action api_key.revoked --action api_key.rotated --since 2026-01-01 --until 2026-02-01 --all --json',
  ],
  async run(ctx) {
    const all = ctx.flag('all');
    const limitText = ctx.string('limit');
    if (all && limitText !== undefined) throw new UsageError('--all and --limit exclude each other');
    const limit = all ? Number.POSITIVE_INFINITY : positiveCount('limit', limitText) ?? DEFAULT_LIMIT;
    const pageLimit = positiveCount('page-size', ctx.string('page-size'), MAX_PAGE) ?? MAX_PAGE;
    const sinceText = ctx.string('since');
    const untilText = ctx.string('until');
    const since = sinceText === undefined ? undefined : pastTime('since', sinceText);
    const until = untilText === undefined ? undefined : pastTime('until', untilText);
    const request: MessageInitShape<typeof QueryAuditEventsRequestSchema> = {
      tenantId: ctx.tenantOrOwn(),
      filter: filterOf(ctx),
      ascending: ctx.flag('ascending'),
      ...(since !== undefined || until !== undefined
        ? { interval: { ...(since !== undefined ? { startTime: since } : {}), ...(until !== undefined ? { endTime: until } : {}) } }
        : {}),
    };
    const client = ctx.client(AuditLogService);
    const events: Event[] = [];
    let token = ctx.string('page-token') ?? '';
    do {
      const pageSize = Math.min(pageLimit, limit - events.length);
      const page = await client.queryAuditEvents({ ...request, pageSize, pageToken: token });
      events.push(...page.events);
      token = page.nextPageToken;
      if (token !== '' && events.length < limit) ctx.progress.update(`fetched ${events.length} events...`);
    } while (token !== '' && events.length < limit);
    ctx.progress.done();

    ctx.print({ events: events.map(eventToJson), nextPageToken: token }, () => `${renderTable([
      { header: 'time', value: (e: Event) => time(e.time) },
      { header: 'source', value: (e) => e.source },
      { header: 'action', value: (e) => e.action },
      { header: 'outcome', value: (e) => (e.outcome === Outcome.UNSPECIFIED ? '' : (Outcome[e.outcome] ?? '').toLowerCase()) },
      { header: 'actor', value: (e) => e.actor?.id ?? '' },
      { header: 'user', value: (e) => (e.payload.case === 'audit' ? e.payload.value.user?.userId ?? '' : '') },
      { header: 'class', value: classificationOf },
      { header: 'id', value: (e) => e.id },
      { header: 'message', value: summaryOf },
    ], events, '(no matching audit events)')}${token === '' ? '' : `\nmore events: continue with${windowFlags(since, until)} --page-token ${token} (same filters), or use --all\n`}`);
    return EXIT.ok;
  },
});

/** The window as absolute times, so a continuation asks the same question as this run. */
function windowFlags(since: Timestamp | undefined, until: Timestamp | undefined): string {
  const iso = (ts: Timestamp) => timestampDate(ts).toISOString();
  return `${since === undefined ? '' : ` --since ${iso(since)}`}${until === undefined ? '' : ` --until ${iso(until)}`}`;
}
