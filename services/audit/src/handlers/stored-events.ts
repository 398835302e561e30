import { fromBinary } from '@bufbuild/protobuf';
import { EventSchema, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import type { Logger } from '@aegis/shared';
import type { StoredRecord } from '../adapters/postgres/audit-store.js';

/**
 * The stored bytes as Events. A body that no longer decodes (the row was damaged or tampered
 * with) is left out and logged; VerifyAuditChain reports it.
 */
export function eventsOf(records: readonly StoredRecord[], logger: Logger): Event[] {
  const events: Event[] = [];
  for (const record of records) {
    try {
      events.push(fromBinary(EventSchema, record.body));
    } catch (err) {
      logger.error({ err, position: record.position.toString() }, 'stored audit record does not decode; left out of the answer (VerifyAuditChain reports it)');
    }
  }
  return events;
}
