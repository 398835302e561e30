import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { InvalidEventError } from './invalid-event-error.js';

/**
 * Throws InvalidEventError unless the envelope has what every consumer
 * relies on. An empty Kafka value decodes to an empty Event without error,
 * so this check is what tells "no event" from "an event".
 */
export function assertValidEvent(event: Event): void {
  const missing: string[] = [];
  if (event.id === '') missing.push('id');
  if (event.time === undefined) missing.push('time');
  if (event.source === '') missing.push('source');
  if (event.tenantId === '') missing.push('tenant_id');
  if (event.action === '') missing.push('action');
  if (event.payload.case === undefined) missing.push('payload');
  if (missing.length > 0) {
    throw new InvalidEventError(`event ${event.id || '(no id)'} lacks ${missing.join(', ')}`);
  }
  if (event.payload.case === 'usage' && event.payload.value.tenantId !== event.tenantId) {
    throw new InvalidEventError(
      `event ${event.id}: usage.tenant_id "${event.payload.value.tenantId}" differs from tenant_id "${event.tenantId}"`,
    );
  }
  if (event.payload.case === 'tenantSettings' && event.payload.value.tenantId !== event.tenantId) {
    throw new InvalidEventError(
      `event ${event.id}: tenant_settings.tenant_id "${event.payload.value.tenantId}" differs from tenant_id "${event.tenantId}"`,
    );
  }
}
