// Audit events as producers make them, for the sink's tests.
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { DataClassification } from '@aegis/proto/aegis/common/v1/classification_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { AuditEventSchema } from '@aegis/proto/aegis/events/v1/audit_event_pb.js';
import { Outcome, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { createEvent } from '@aegis/shared';

export interface AuditEventSpec {
  tenantId: string;
  source?: string;
  action?: string;
  outcome?: Outcome;
  userId?: string;
  actorId?: string;
  classification?: DataClassification;
  /** Event.time; default now. */
  timeMs?: number;
  message?: string;
}

export function auditEvent(spec: AuditEventSpec): Event {
  const userId = spec.userId ?? 'u-1';
  const event = createEvent({
    source: spec.source ?? 'auth',
    tenantId: spec.tenantId,
    actor: { type: PrincipalType.USER, id: spec.actorId ?? userId, userId },
    action: spec.action ?? 'api_key.created',
    outcome: spec.outcome ?? Outcome.SUCCESS,
    payload: {
      case: 'audit',
      value: create(AuditEventSchema, {
        user: { userId, ipAddress: '192.0.2.10', userAgent: 'audit-test/1.0' },
        classification: spec.classification ?? DataClassification.INTERNAL,
        message: spec.message ?? `${spec.action ?? 'api_key.created'} by ${userId}`,
      }),
    },
  });
  if (spec.timeMs !== undefined) event.time = timestampFromMs(spec.timeMs);
  return event;
}

export const MINUTE = 60_000;
export const DAY = 86_400_000;
