import { Outcome, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { Severity } from '@aegis/proto/aegis/events/v1/audit_event_pb.js';
import { createEvent } from '@aegis/shared';

// `ratelimit.degraded` once when an instance loses Redis, `ratelimit.recovered` when it is
// back (docs/events.md). Filed under the platform tenant: the outage concerns every tenant.

export function degradedAudit(tenantId: string, instanceId: string, defaultMode: string, reason: string): Event {
  return createEvent({
    source: 'ratelimit',
    tenantId,
    actor: { type: PrincipalType.SERVICE, id: instanceId },
    action: 'ratelimit.degraded',
    outcome: Outcome.FAILURE,
    payload: {
      case: 'audit',
      value: {
        resource: { kind: 'ratelimit_store', id: 'redis' },
        message: `rate limiting degraded: Redis unavailable (${reason}); limits fall back to their failure mode (default ${defaultMode})`,
        security: { accessGranted: true, alerts: [{ code: 'RATELIMIT_DEGRADED', severity: Severity.HIGH, message: 'Redis unavailable to the rate limiter' }] },
      },
    },
  });
}

export function recoveredAudit(tenantId: string, instanceId: string, outageMs: number): Event {
  return createEvent({
    source: 'ratelimit',
    tenantId,
    actor: { type: PrincipalType.SERVICE, id: instanceId },
    action: 'ratelimit.recovered',
    outcome: Outcome.SUCCESS,
    payload: {
      case: 'audit',
      value: {
        resource: { kind: 'ratelimit_store', id: 'redis' },
        message: `rate limiting recovered: Redis answered again after ${Math.round(outageMs)} ms`,
        details: [{ key: 'outage_ms', value: String(Math.round(outageMs)) }],
        security: { accessGranted: true },
      },
    },
  });
}
