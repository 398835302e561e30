import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import type { AuditEvent } from '@aegis/proto/aegis/events/v1/audit_event_pb.js';
import { Outcome } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { AGENT_EXECUTION_ACTION } from '@aegis/sdk';
import { createEvent, type EventPublisher } from '@aegis/shared';

/** `source` of the gateway's events on aegis.audit.v1 (its hash chains are "agent-gateway/<uuid>"). */
export const GATEWAY_SOURCE = 'agent-gateway';

/**
 * Publishes the guard's `agent.execution` record of each completed run. Aegis has no RPC that
 * appends audit events (a service's audit trail is what it publishes itself), so the platform
 * service puts its own records on the audit topic, hash-chained and signed like the services'.
 */
export function executionPublisher(publisher: EventPublisher): (record: AuditEvent, principal: Principal) => Promise<void> {
  return (record, principal) => publisher.publish(createEvent({
    source: GATEWAY_SOURCE,
    tenantId: principal.tenantId,
    actor: { type: principal.type, id: principal.id, userId: principal.userId, apiKeyId: principal.apiKeyId, sessionId: principal.sessionId },
    action: AGENT_EXECUTION_ACTION,
    outcome: Outcome.SUCCESS,
    payload: { case: 'audit', value: record },
  }));
}
