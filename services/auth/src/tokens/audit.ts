import { type Principal, PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { Severity } from '@aegis/proto/aegis/events/v1/audit_event_pb.js';
import { type Event, Outcome } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { createEvent, type ActorInit, type EventPublisher, type Logger } from '@aegis/shared';
import type { AccessTokenRecord, FamilyRecord } from './ports.js';
import type { StoredSigningKey } from './signing-key-material.js';
import type { RotationTrigger } from './signing-key-ring.js';

// AuditEvents of the tokens module. They name tokens by jti and families by id, never by
// value: a jti is not a credential, a token is.

export type TokenAction = 'token.issued' | 'token.refreshed' | 'token.revoked' | 'refresh_token.reused' | 'signing_key.rotated';

export function actorOf(principal: Principal): ActorInit {
  return { type: principal.type, id: principal.id, userId: principal.userId, apiKeyId: principal.apiKeyId, sessionId: principal.sessionId };
}

/** The user a family belongs to, as the actor of its refreshes. */
export function familyActor(family: FamilyRecord): ActorInit {
  return { type: PrincipalType.USER, id: family.userId, userId: family.userId, sessionId: family.sessionId ?? '' };
}

export const AUTH_SERVICE_ACTOR: ActorInit = { type: PrincipalType.SERVICE, id: 'aegis-auth' };

interface Detail {
  key: string;
  value: string;
}

function tokenEvent(action: TokenAction, tenantId: string, actor: ActorInit, body: {
  outcome?: Outcome;
  resource: { kind: string; id: string; attributes?: Detail[] };
  message: string;
  details?: Detail[];
  alert?: { code: string; severity: Severity; message: string };
}): Event {
  return createEvent({
    source: 'auth',
    tenantId,
    actor,
    action,
    outcome: body.outcome ?? Outcome.SUCCESS,
    payload: {
      case: 'audit',
      value: {
        resource: body.resource,
        message: body.message,
        details: body.details ?? [],
        security: { accessGranted: body.outcome !== Outcome.DENIED, alerts: body.alert === undefined ? [] : [body.alert] },
      },
    },
  });
}

const accessAttributes = (access: AccessTokenRecord): Detail[] => [
  { key: 'user_id', value: access.userId },
  { key: 'kid', value: access.kid },
  { key: 'expire_time', value: access.expireTime.toISOString() },
  ...(access.sessionId !== null ? [{ key: 'session_id', value: access.sessionId }] : []),
  ...(access.familyId !== null ? [{ key: 'refresh_family_id', value: access.familyId }] : []),
];

export function tokenIssuedEvent(access: AccessTokenRecord, actor: ActorInit, withRefreshToken: boolean): Event {
  return tokenEvent('token.issued', access.tenantId, actor, {
    resource: { kind: 'access_token', id: access.jti, attributes: accessAttributes(access) },
    message: `access token issued for user ${access.userId}${withRefreshToken ? ' with a new refresh-token family' : ''}`,
  });
}

export function tokenRefreshedEvent(family: FamilyRecord, access: AccessTokenRecord, generation: number): Event {
  return tokenEvent('token.refreshed', family.tenantId, familyActor(family), {
    resource: { kind: 'access_token', id: access.jti, attributes: accessAttributes(access) },
    message: `refresh-token family ${family.id} rotated to generation ${generation}`,
  });
}

export function tokenRevokedEvent(tenantId: string, actor: ActorInit, what: { kind: 'access_token' | 'refresh_token_family' | 'session' | 'user'; id: string }, counts: { families: number; accessTokens: number }): Event {
  return tokenEvent('token.revoked', tenantId, actor, {
    resource: { kind: what.kind, id: what.id },
    message: `${what.kind} ${what.id} revoked: ${counts.families} refresh-token families, ${counts.accessTokens} live access tokens`,
    details: [
      { key: 'refresh_families_revoked', value: String(counts.families) },
      { key: 'access_tokens_revoked', value: String(counts.accessTokens) },
    ],
  });
}

export function refreshTokenReusedEvent(family: FamilyRecord, revokedAccessTokens: number): Event {
  return tokenEvent('refresh_token.reused', family.tenantId, familyActor(family), {
    outcome: Outcome.DENIED,
    resource: { kind: 'refresh_token_family', id: family.id, attributes: [{ key: 'user_id', value: family.userId }] },
    message: `a spent refresh token of family ${family.id} was presented again: the family and ${revokedAccessTokens} live access tokens were revoked`,
    alert: { code: 'REFRESH_TOKEN_REUSE', severity: Severity.HIGH, message: 'refresh-token reuse: the token chain was copied; the whole family is revoked' },
  });
}

export function signingKeyRotatedEvent(platformTenantId: string, key: StoredSigningKey, trigger: RotationTrigger, actor: ActorInit): Event {
  return tokenEvent('signing_key.rotated', platformTenantId, actor, {
    resource: { kind: 'signing_key', id: key.kid, attributes: [{ key: 'algorithm', value: key.algorithm }] },
    message: `signing key ${key.kid} (${key.algorithm}) created by ${trigger}, active from ${key.activateTime.toISOString()}`,
    details: [{ key: 'trigger', value: trigger }],
  });
}

/** Publishes an audit event; a broker outage is logged, never turned into a failed token call. */
export class TokenAudit {
  constructor(private readonly publisher: EventPublisher, private readonly logger: Logger) {}

  async publish(event: Event): Promise<void> {
    try {
      await this.publisher.publish(event);
    } catch (err) {
      this.logger.error({ err, action: event.action, eventId: event.id }, 'could not publish a token audit event');
    }
  }
}
