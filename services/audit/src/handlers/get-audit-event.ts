import type { MessageInitShape } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import type { GetAuditEventRequest, GetAuditEventResponseSchema } from '@aegis/proto/aegis/events/v1/audit_log_service_pb.js';
import { notFound, requireLength, requireNonEmpty } from '@aegis/shared';
import type { AuditLogDeps } from './audit-log-deps.js';
import { tenantOf } from './audit-request.js';
import { eventsOf } from './stored-events.js';

export async function getAuditEvent(deps: AuditLogDeps, req: GetAuditEventRequest, ctx: HandlerContext): Promise<MessageInitShape<typeof GetAuditEventResponseSchema>> {
  const tenantId = tenantOf(req.tenantId, ctx);
  const eventId = requireLength(requireNonEmpty(req.eventId, 'event_id'), 'event_id', 1, 128);
  const record = await deps.store.get(tenantId, eventId);
  const event = record === undefined ? undefined : eventsOf([record], deps.logger)[0];
  // Another tenant's event is as absent as an unknown one: its existence is not disclosed.
  if (event === undefined) throw notFound('audit event (unknown, of another tenant, or past retention)', eventId);
  return { event };
}
