import type { MessageInitShape } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import type { TailAuditEventsRequest, TailAuditEventsResponseSchema } from '@aegis/proto/aegis/events/v1/audit_log_service_pb.js';
import type { AuditLogDeps } from './audit-log-deps.js';
import { queryOf, tenantOf, timestampUs } from './audit-request.js';
import { eventsOf } from './stored-events.js';

const READ_BATCH = 500;

/**
 * Replays stored records from start_time (those stored before the call), then streams records
 * as they are stored, in stored order, until the caller cancels or the server stops. The live
 * part resumes after the last position sent, so nothing is sent twice or skipped between
 * replay and live (writers commit positions in order, see AuditStore.store).
 */
export async function* tailAuditEvents(deps: AuditLogDeps, req: TailAuditEventsRequest, ctx: HandlerContext): AsyncGenerator<MessageInitShape<typeof TailAuditEventsResponseSchema>> {
  const tenantId = tenantOf(req.tenantId, ctx);
  const live = queryOf(tenantId, req.filter, {});
  const startUs = req.startTime === undefined ? undefined : timestampUs(req.startTime, 'start_time');
  const signal = ctx.signal;
  // Armed before reading where "live" begins: a record stored in between wakes the first wait.
  let armed = deps.feed.arm(tenantId, deps.tailPollMs, signal);
  const liveFrom = await deps.store.lastPosition();
  let cursor = 0n;
  if (startUs === undefined) {
    cursor = liveFrom;
  } else {
    const replay = { ...live, startUs };
    for (;;) {
      const records = await deps.store.after(replay, cursor, READ_BATCH, liveFrom);
      for (const event of eventsOf(records, deps.logger)) yield { event };
      if (records.length < READ_BATCH || signal.aborted) break;
      cursor = records[records.length - 1]!.position;
    }
    cursor = liveFrom;
  }
  while (!signal.aborted) {
    const records = await deps.store.after(live, cursor, READ_BATCH);
    if (records.length > 0) {
      cursor = records[records.length - 1]!.position;
      for (const event of eventsOf(records, deps.logger)) yield { event };
      if (records.length === READ_BATCH) continue;
    }
    await armed.wait;
    armed = deps.feed.arm(tenantId, deps.tailPollMs, signal);
  }
}
