// `aegis audit tail`: streams the audit sink's TailAuditEvents, as lines a person reads or, with
// --json, canonical protobuf JSON one event per line (what `aegis audit verify --file` reads).
// The sink is reached like every service, as `audit` (server/connection.ts).
import { Code, ConnectError } from '@connectrpc/connect';
import { AuditLogService } from '@aegis/proto/aegis/events/v1/audit_log_service_pb.js';
import { eventToJson } from '@aegis/shared/audit-integrity';
import { EXIT } from '../../command.js';
import { serverCommand } from '../../server/server-command.js';
import { eventLine, filterOf, FILTER_OPTIONS, pastTime, positiveCount } from './audit-filter.js';

export const auditTail = serverCommand({
  group: 'audit', name: 'tail', summary: 'Stream audit events from the audit sink (--json for verify --file)',
  usage: '[options]',
  description: `Streams audit events from the audit sink as it stores them: first those since
--since (if given), then new ones until Ctrl-C (or --max-events). Checkpoints of the
producers' hash chains are streamed too, unless a filter leaves them out, so a
--json capture of a tenant's whole stream verifies with \`aegis audit verify --file\`.
With --json each line is one event in canonical protobuf JSON.

Needs the audit:read permission in the tenant. Exit codes here: 0 stopped (Ctrl-C or
--max-events), 2 invalid input, 3 the sink could not be used (unreachable, credential
refused, permission denied, the stream ended).`,
  services: ['audit'],
  streams: true,
  tenantOptional: true,
  options: {
    ...FILTER_OPTIONS,
    since: { type: 'string', placeholder: 'time', help: 'Replay from an RFC 3339 time or date, or a duration ago (15m, 2h, 7d)' },
    'max-events': { type: 'string', placeholder: 'n', help: 'Stop after n events' },
  },
  examples: ['aegis audit tail --action api_key.revoked --outcome success', 'aegis audit tail --since 1h --json > trail.jsonl && aegis audit verify --file trail.jsonl'],
  async run(ctx) {
    const since = ctx.string('since');
    const maxEvents = positiveCount('max-events', ctx.string('max-events'));
    const request = { tenantId: ctx.tenantOrOwn(), filter: filterOf(ctx), ...(since !== undefined ? { startTime: pastTime('since', since) } : {}) };
    let count = 0;
    for await (const { event } of ctx.client(AuditLogService).tailAuditEvents(request, { signal: ctx.signal })) {
      if (event === undefined) continue;
      ctx.io.stdout.write(ctx.json ? `${JSON.stringify(eventToJson(event))}\n` : `${eventLine(event)}\n`);
      if (maxEvents !== undefined && ++count >= maxEvents) return EXIT.ok;
    }
    throw new ConnectError('the sink ended the stream (shutting down?)', Code.Unavailable);
  },
});
