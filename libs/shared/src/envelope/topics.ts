// Kafka topic names and message keys of aegis.events.v1 (docs/events.md).
// The key decides the partition, and Kafka orders messages only within a
// partition: everything that must stay in order shares a key.
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { InvalidEventError } from './invalid-event-error.js';

export const TOPICS = {
  /** UsageEvent, keyed "<tenant>/<user>": spreads a busy tenant over partitions. */
  usage: 'aegis.usage.v1',
  /** AuditEvent and AuditCheckpoint, keyed "<tenant>": a tenant's hash chains stay in order. */
  audit: 'aegis.audit.v1',
  /** CostAlertEvent, keyed "<tenant>". */
  alerts: 'aegis.alerts.v1',
  /**
   * TenantSettingsEvent, keyed "<tenant>" and compacted: the latest event per tenant is its
   * whole current state, so a new consumer group reading from the beginning rebuilds it.
   */
  tenants: 'aegis.tenants.v1',
} as const;

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

/** The topic an event belongs on, from its payload. */
export function topicForEvent(event: Event): Topic {
  switch (event.payload.case) {
    case 'usage':
      return TOPICS.usage;
    case 'audit':
    case 'auditCheckpoint':
      return TOPICS.audit;
    case 'costAlert':
      return TOPICS.alerts;
    case 'tenantSettings':
      return TOPICS.tenants;
    case undefined:
      throw new InvalidEventError('event has no payload, so it has no topic');
  }
}

/** The Kafka message key of an event (UTF-8 string). */
export function eventKey(event: Event): string {
  if (event.payload.case === 'usage' && event.payload.value.userId !== '') {
    return `${event.tenantId}/${event.payload.value.userId}`;
  }
  return event.tenantId;
}
