import type { HandlerContext } from '@connectrpc/connect';
import { Outcome, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { createEvent, requirePrincipal, type ActorInit } from '@aegis/shared';

// AuditEvents of limit administration (docs/events.md): which set or override changed, by
// whom, to which version, and the operator's reason.

export type ConfigAction = 'limit_override.changed' | 'limit_set.changed';

const FREE_TEXT_MAX = 256;

/** The caller of the RPC, as the audit event's actor. */
export function actorOf(ctx: HandlerContext): ActorInit {
  const principal = requirePrincipal(ctx);
  return { type: principal.type, id: principal.id, userId: principal.userId, apiKeyId: principal.apiKeyId, sessionId: principal.sessionId };
}

export function configAudit(action: ConfigAction, input: {
  tenantId: string;
  actor: ActorInit;
  kind: 'limit_override' | 'limit_set';
  id: string;
  change: 'set' | 'created' | 'updated' | 'deleted';
  version: bigint;
  reason?: string;
}): Event {
  const label = input.kind === 'limit_set' ? `limit set ${input.id}` : input.id === '' ? 'tenant-wide limit override' : `limit override of key ${input.id}`;
  return createEvent({
    source: 'ratelimit',
    tenantId: input.tenantId,
    actor: input.actor,
    action,
    outcome: Outcome.SUCCESS,
    payload: {
      case: 'audit',
      value: {
        resource: { kind: input.kind, id: input.id, attributes: [{ key: 'version', value: String(input.version) }] },
        message: `${label} ${input.change}`.slice(0, FREE_TEXT_MAX),
        details: [{ key: 'change', value: input.change }, ...(input.reason ? [{ key: 'reason', value: input.reason.slice(0, FREE_TEXT_MAX) }] : [])],
        security: { accessGranted: true },
      },
    },
  });
}
