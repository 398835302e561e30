import { timestampMs } from '@bufbuild/protobuf/wkt';
import { DataClassification } from '@aegis/proto/aegis/common/v1/classification_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { checkpointRetention, addPeriod, effectiveClassification, expiresAt, type RetentionPolicy } from './retention.js';

// What the sink stores of one message of the audit topic: the Event's bytes as received
// (verification hashes exactly those), plus the columns queries filter on.

export interface AuditRecordRow {
  eventId: string;
  tenantId: string;
  eventTimeUs: bigint;
  kind: 'event' | 'checkpoint';
  source: string;
  action: string;
  outcome: number;
  actorId: string;
  actorUserId: string;
  subjectUserId: string;
  classification: number;
  producerId: string;
  sequence: bigint;
  body: Uint8Array;
  expiresAt: Date;
}

/** A message the sink cannot store as an audit record, and why. */
export interface UnusableMessage {
  problem: string;
}

/**
 * The row for a decoded event, or why it does not belong in the audit trail (another
 * payload on the audit topic). `body` is the message value as received.
 */
export function recordOf(event: Event, body: Uint8Array, policy: RetentionPolicy, storedAt: Date): AuditRecordRow | UnusableMessage {
  const time = event.time === undefined ? undefined : timestampMs(event.time);
  if (time === undefined || !Number.isFinite(time)) return { problem: `event ${event.id} has no time` };
  const eventTime = new Date(time);
  const common = {
    eventId: event.id,
    tenantId: event.tenantId,
    eventTimeUs: timeUs(event),
    source: event.source,
    action: event.action,
    outcome: event.outcome,
    actorId: event.actor?.id ?? '',
    actorUserId: event.actor?.userId ?? '',
    body,
  };
  switch (event.payload.case) {
    case 'audit': {
      const audit = event.payload.value;
      return {
        ...common,
        kind: 'event',
        subjectUserId: audit.user?.userId ?? '',
        classification: effectiveClassification(audit.classification),
        producerId: audit.integrity?.producerId ?? '',
        sequence: audit.integrity?.sequence ?? 0n,
        expiresAt: expiresAt(policy, audit.classification, eventTime, storedAt),
      };
    }
    case 'auditCheckpoint': {
      const checkpoint = event.payload.value;
      if (checkpoint.tenantId !== event.tenantId) return { problem: `checkpoint ${event.id} names tenant ${checkpoint.tenantId}, its envelope ${event.tenantId}` };
      return {
        ...common,
        kind: 'checkpoint',
        subjectUserId: '',
        classification: DataClassification.UNSPECIFIED,
        producerId: checkpoint.producerId,
        sequence: checkpoint.sequence,
        expiresAt: addPeriod(new Date(Math.min(time, storedAt.getTime())), checkpointRetention(policy)),
      };
    }
    default:
      return { problem: `event ${event.id} carries a ${event.payload.case ?? 'missing'} payload, which does not belong on the audit topic` };
  }
}

/** Event.time in whole microseconds (Postgres's precision), the key of time order and paging. */
export function timeUs(event: Event): bigint {
  const t = event.time;
  if (t === undefined) return 0n;
  return t.seconds * 1_000_000n + BigInt(Math.floor(t.nanos / 1000));
}
