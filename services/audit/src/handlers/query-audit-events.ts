import type { MessageInitShape } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import type { QueryAuditEventsRequest, QueryAuditEventsResponseSchema } from '@aegis/proto/aegis/events/v1/audit_log_service_pb.js';
import { decodePageToken, encodePageToken } from '../domain/page-token.js';
import type { AuditLogDeps } from './audit-log-deps.js';
import { intervalOf, pageSizeOf, queryOf, tenantOf } from './audit-request.js';
import { eventsOf } from './stored-events.js';

export async function queryAuditEvents(deps: AuditLogDeps, req: QueryAuditEventsRequest, ctx: HandlerContext): Promise<MessageInitShape<typeof QueryAuditEventsResponseSchema>> {
  const query = queryOf(tenantOf(req.tenantId, ctx), req.filter, intervalOf(req.interval));
  const size = pageSizeOf(req.pageSize);
  const cursor = req.pageToken === '' ? undefined : decodePageToken(req.pageToken, query, req.ascending);
  const records = await deps.store.page(query, req.ascending, size + 1, cursor);
  const page = records.slice(0, size);
  const last = page[page.length - 1];
  const more = records.length > size && last !== undefined;
  return {
    events: eventsOf(page, deps.logger),
    nextPageToken: more ? encodePageToken(query, req.ascending, { timeUs: last.timeUs, position: last.position }) : '',
  };
}
