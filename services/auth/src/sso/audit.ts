import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { Severity } from '@aegis/proto/aegis/events/v1/audit_event_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { Outcome } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { createEvent, type ActorInit, type EventPublisher, type Logger } from '@aegis/shared';
import type { SessionRecord } from './domain/session.js';

// The SSO module's audit events (actions from docs/events.md). They name users, sessions,
// providers and e-mail domains; never a code, token, secret, nonce or state.

export type AuditActor = ActorInit;

export function actorOf(principal: Principal): AuditActor {
  return { type: principal.type, id: principal.id, userId: principal.userId, apiKeyId: principal.apiKeyId, sessionId: principal.sessionId };
}

export const ANONYMOUS: AuditActor = { type: PrincipalType.ANONYMOUS, id: 'anonymous' };
export const SERVICE: AuditActor = { type: PrincipalType.SERVICE, id: 'aegis-auth' };

export function userActor(userId: string, sessionId = ''): AuditActor {
  return { type: PrincipalType.USER, id: userId, userId, sessionId };
}

export interface LoginFacts {
  tenantId: string;
  providerId: string;
  ipAddress: string;
  userAgent: string;
  userId?: string;
  sessionId?: string;
}

interface AuditInput {
  tenantId: string;
  actor: AuditActor;
  action: string;
  outcome: Outcome;
  resource: { kind: string; id: string };
  message: string;
  details?: Array<[string, string]>;
  user?: { userId?: string; sessionId?: string; ipAddress?: string; userAgent?: string };
  alert?: { code: string; severity: Severity };
}

function auditEvent(input: AuditInput): Event {
  return createEvent({
    source: 'auth',
    tenantId: input.tenantId,
    actor: input.actor,
    action: input.action,
    outcome: input.outcome,
    payload: {
      case: 'audit',
      value: {
        ...(input.user !== undefined ? { user: input.user } : {}),
        resource: input.resource,
        message: input.message,
        details: (input.details ?? []).map(([key, value]) => ({ key, value })),
        security: {
          accessGranted: input.outcome === Outcome.SUCCESS,
          ...(input.alert !== undefined ? { alerts: [{ code: input.alert.code, severity: input.alert.severity, message: input.message }] } : {}),
        },
      },
    },
  });
}

function loginUser(facts: LoginFacts): AuditInput['user'] {
  return { userId: facts.userId ?? '', sessionId: facts.sessionId ?? '', ipAddress: facts.ipAddress, userAgent: facts.userAgent };
}

export function loginSucceededAudit(facts: LoginFacts & { userId: string; sessionId: string; userCreated: boolean; amr: string[] }): Event {
  return auditEvent({
    tenantId: facts.tenantId,
    actor: userActor(facts.userId, facts.sessionId),
    action: 'auth.login_succeeded',
    outcome: Outcome.SUCCESS,
    resource: { kind: 'session', id: facts.sessionId },
    message: `user ${facts.userId} logged in through identity provider ${facts.providerId}${facts.userCreated ? ' (user created)' : ''}`,
    details: [['provider_id', facts.providerId], ['user_created', String(facts.userCreated)], ['amr', facts.amr.join(' ')]],
    user: loginUser(facts),
  });
}

/** `reason` is a short code (state_unknown, id_token_invalid, email_domain, session_limit, ...). */
export function loginFailedAudit(facts: LoginFacts, reason: string, message: string, outcome: Outcome.FAILURE | Outcome.DENIED): Event {
  return auditEvent({
    tenantId: facts.tenantId,
    actor: facts.userId !== undefined ? userActor(facts.userId) : ANONYMOUS,
    action: 'auth.login_failed',
    outcome,
    resource: { kind: 'identity_provider', id: facts.providerId },
    message: `login through identity provider ${facts.providerId || '(unknown)'} refused: ${message}`,
    details: [['reason', reason], ['provider_id', facts.providerId]],
    user: loginUser(facts),
    alert: { code: reason, severity: Severity.LOW },
  });
}

export function mfaMissingAudit(facts: LoginFacts & { amr: string[]; acr: string }): Event {
  return auditEvent({
    tenantId: facts.tenantId,
    actor: facts.userId !== undefined ? userActor(facts.userId) : ANONYMOUS,
    action: 'auth.mfa_missing',
    outcome: Outcome.DENIED,
    resource: { kind: 'identity_provider', id: facts.providerId },
    message: `login through identity provider ${facts.providerId} refused: multi-factor authentication required but not reported`,
    details: [['provider_id', facts.providerId], ['amr', facts.amr.join(' ')], ['acr', facts.acr]],
    user: loginUser(facts),
    alert: { code: 'mfa_missing', severity: Severity.MEDIUM },
  });
}

export function sessionEndedAudit(session: SessionRecord, how: 'revoked' | 'evicted', actor: AuditActor, why: string): Event {
  return auditEvent({
    tenantId: session.tenantId,
    actor,
    action: how === 'revoked' ? 'session.revoked' : 'session.evicted',
    outcome: Outcome.SUCCESS,
    resource: { kind: 'session', id: session.sessionId },
    message: `session ${session.sessionId} of user ${session.userId} ${how}: ${why}`,
    details: [['user_id', session.userId], ['provider_id', session.providerId]],
    user: { userId: session.userId, sessionId: session.sessionId, ipAddress: session.ipAddress, userAgent: session.userAgent },
  });
}

export function providerChangedAudit(tenantId: string, providerId: string, change: 'created' | 'updated' | 'deleted', actor: AuditActor, details: Array<[string, string]>): Event {
  return auditEvent({
    tenantId,
    actor,
    action: 'identity_provider.changed',
    outcome: Outcome.SUCCESS,
    resource: { kind: 'identity_provider', id: providerId },
    message: `identity provider ${providerId} ${change}`,
    details: [['change', change], ...details],
  });
}

export function sessionPolicyChangedAudit(tenantId: string, actor: AuditActor, details: Array<[string, string]>): Event {
  return auditEvent({
    tenantId,
    actor,
    action: 'session_policy.changed',
    outcome: Outcome.SUCCESS,
    resource: { kind: 'session_policy', id: tenantId },
    message: `session policy of tenant ${tenantId} changed`,
    details,
  });
}

/**
 * Publishes without failing the operation: the login or revocation already happened, and
 * refusing it because Kafka is briefly away would not undo it. A lost event is logged loudly.
 */
export class AuditTrail {
  constructor(private readonly publisher: EventPublisher, private readonly logger: Logger) {}

  async record(...events: Event[]): Promise<void> {
    if (events.length === 0) return;
    try {
      await this.publisher.publish(...events);
    } catch (err) {
      this.logger.error({ err, actions: events.map((e) => e.action), ids: events.map((e) => e.id) }, 'could not publish SSO audit events');
    }
  }
}
