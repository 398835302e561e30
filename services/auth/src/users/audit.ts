import { PrincipalType, type Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { type Event, Outcome } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { createEvent, type ActorInit } from '@aegis/shared';
import type { StoredTenant } from './domain/tenant.js';
import type { StoredUser } from './domain/user.js';

// AuditEvents of the users module. They name users and tenants by id only: e-mails and
// attribute values are personal data and stay out of the audit stream.

export type UserAction = 'user.created' | 'user.updated' | 'user.disabled' | 'user.enabled' | 'roles.assigned' | 'roles.unassigned';
export type TenantAction = 'tenant.created' | 'tenant.updated';

/** Who acted: the caller's principal, or the auth service itself (SSO first login). */
export function actorOf(principal: Principal | undefined): ActorInit {
  if (principal === undefined) return { type: PrincipalType.SERVICE, id: 'aegis-auth' };
  return {
    type: principal.type,
    id: principal.id,
    userId: principal.userId,
    apiKeyId: principal.apiKeyId,
    sessionId: principal.sessionId,
  };
}

export function userAudit(input: {
  action: UserAction;
  actor: ActorInit;
  user: StoredUser;
  message: string;
  details?: Record<string, string>;
}): Event {
  return createEvent({
    source: 'auth',
    tenantId: input.user.tenantId,
    actor: input.actor,
    action: input.action,
    outcome: Outcome.SUCCESS,
    payload: {
      case: 'audit',
      value: {
        user: { userId: input.user.id },
        resource: { kind: 'user', id: input.user.id },
        security: { accessGranted: true },
        message: input.message,
        details: Object.entries(input.details ?? {}).map(([key, value]) => ({ key, value })),
      },
    },
  });
}

export function tenantAudit(input: { action: TenantAction; actor: ActorInit; tenant: StoredTenant; message: string; details?: Record<string, string> }): Event {
  return createEvent({
    source: 'auth',
    tenantId: input.tenant.id,
    actor: input.actor,
    action: input.action,
    outcome: Outcome.SUCCESS,
    payload: {
      case: 'audit',
      value: {
        resource: { kind: 'tenant', id: input.tenant.id },
        security: { accessGranted: true },
        message: input.message,
        details: Object.entries(input.details ?? {}).map(([key, value]) => ({ key, value })),
      },
    },
  });
}
