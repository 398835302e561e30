import type { HandlerContext } from '@connectrpc/connect';
import type { Timestamp } from '@bufbuild/protobuf/wkt';
import { DataClassification } from '@aegis/proto/aegis/common/v1/classification_pb.js';
import type { TimeInterval } from '@aegis/proto/aegis/common/v1/interval_pb.js';
import type { AuditEventFilter } from '@aegis/proto/aegis/events/v1/audit_log_service_pb.js';
import { Outcome } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { invalidArgument, requireLength, requirePattern, requirePrincipal, requireTenantId } from '@aegis/shared';
import type { AuditQuery } from '../domain/audit-query.js';

// Input checks shared by the AuditLogService handlers. The permission interceptor has already
// decided that the caller holds the RPC's permission in the request's tenant.

const ACTION = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/;
const MAX_ACTIONS = 100;
const MAX_ID = 256;

/** The request's tenant, or the caller's own when empty. */
export function tenantOf(requested: string, ctx: HandlerContext, field = 'tenant_id'): string {
  return requireTenantId(requested !== '' ? requested : requirePrincipal(ctx).tenantId, field);
}

/** Microseconds since the epoch; InvalidArgument for an out-of-range timestamp. */
export function timestampUs(ts: Timestamp, field: string): bigint {
  // Timestamp's range: 0001-01-01 to 9999-12-31 (RFC 3339).
  if (ts.seconds < -62_135_596_800n || ts.seconds > 253_402_300_799n || ts.nanos < 0 || ts.nanos > 999_999_999) {
    throw invalidArgument(field, 'must be a valid timestamp between years 1 and 9999');
  }
  return ts.seconds * 1_000_000n + BigInt(Math.floor(ts.nanos / 1000));
}

export function intervalOf(interval: TimeInterval | undefined, field = 'interval'): { startUs?: bigint; endUs?: bigint } {
  if (interval === undefined) return {};
  const startUs = interval.startTime === undefined ? undefined : timestampUs(interval.startTime, `${field}.start_time`);
  const endUs = interval.endTime === undefined ? undefined : timestampUs(interval.endTime, `${field}.end_time`);
  if (startUs !== undefined && endUs !== undefined && endUs <= startUs) throw invalidArgument(`${field}.end_time`, 'must be after start_time');
  return { ...(startUs !== undefined ? { startUs } : {}), ...(endUs !== undefined ? { endUs } : {}) };
}

export function queryOf(tenantId: string, filter: AuditEventFilter | undefined, interval: { startUs?: bigint; endUs?: bigint }, field = 'filter'): AuditQuery {
  const query: AuditQuery = { tenantId, actions: [], ...interval };
  if (filter === undefined) return query;
  const id = (value: string, name: string): string | undefined => (value === '' ? undefined : requireLength(value, `${field}.${name}`, 1, MAX_ID));
  const userId = id(filter.userId, 'user_id');
  const actorId = id(filter.actorId, 'actor_id');
  const source = id(filter.source, 'source');
  if (filter.actions.length > MAX_ACTIONS) throw invalidArgument(`${field}.actions`, `must have at most ${MAX_ACTIONS} entries`);
  filter.actions.forEach((action, i) => {
    requireLength(action, `${field}.actions[${i}]`, 3, 128);
    requirePattern(action, `${field}.actions[${i}]`, ACTION, 'lower_snake "<object>.<verb>", e.g. "api_key.revoked"');
  });
  if (!(filter.outcome in Outcome)) throw invalidArgument(`${field}.outcome`, 'must be a known Outcome');
  if (!(filter.minClassification in DataClassification)) throw invalidArgument(`${field}.min_classification`, 'must be a known DataClassification');
  return {
    ...query,
    actions: [...new Set(filter.actions)],
    ...(userId !== undefined ? { userId } : {}),
    ...(actorId !== undefined ? { actorId } : {}),
    ...(source !== undefined ? { source } : {}),
    ...(filter.outcome !== Outcome.UNSPECIFIED ? { outcome: filter.outcome } : {}),
    ...(filter.minClassification !== DataClassification.UNSPECIFIED ? { minClassification: filter.minClassification } : {}),
  };
}

/** 0 → 100; 1-1000 as asked; anything else InvalidArgument (the contract's range). */
export function pageSizeOf(requested: number, field = 'page_size'): number {
  if (requested === 0) return 100;
  if (!Number.isInteger(requested) || requested < 1 || requested > 1000) throw invalidArgument(field, 'must be between 1 and 1000 (0 means 100)');
  return requested;
}
