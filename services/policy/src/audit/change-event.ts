import { Outcome, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { createEvent, type ActorInit } from '@aegis/shared';

// Audit records of role and policy administration. The content of a role or policy is not
// copied into the event: the store keeps every revision (ListRoleRevisions /
// ListPolicyRevisions), and the event names the revision to look up.

export const CHANGE_ACTIONS = ['role.created', 'role.updated', 'role.deleted', 'policy.created', 'policy.updated', 'policy.deleted'] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];

export interface ChangeAuditInput {
  action: ChangeAction;
  tenantId: string;
  actor: ActorInit;
  /** Role or policy name. */
  name: string;
  /** The document's version after the change (none after a delete). */
  version?: bigint;
  /** The tenant's policy revision after the change. */
  policyRevision: bigint;
}

export function changeEvent(input: ChangeAuditInput): Event {
  const [kind, verb] = input.action.split('.') as ['role' | 'policy', string];
  const details = [{ key: 'policy_revision', value: String(input.policyRevision) }];
  if (input.version !== undefined) details.push({ key: 'version', value: String(input.version) });
  return createEvent({
    source: 'policy',
    tenantId: input.tenantId,
    actor: input.actor,
    action: input.action,
    outcome: Outcome.SUCCESS,
    payload: {
      case: 'audit',
      value: {
        user: { userId: input.actor.userId ?? '', sessionId: input.actor.sessionId ?? '' },
        resource: { kind, id: input.name },
        security: { accessGranted: true, permissionsUsed: [`${kind}:write`] },
        message: `${kind} ${input.name} ${verb}`,
        details,
      },
    },
  });
}
