import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { Outcome } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { Severity } from '@aegis/proto/aegis/events/v1/audit_event_pb.js';
import { createEvent, type ActorInit } from '@aegis/shared';
import type { BootstrapCredential } from './bootstrap-admin.js';
import type { ApiKeyRecord } from './domain/api-key-record.js';
import type { ThrottleCrossing } from './verification/failure-throttle.js';

// AuditEvents of the API-key module (docs/events.md). They name keys by id and hint, never
// by secret, and carry caller-supplied text (reasons, sources) only truncated.

export type KeyAction = 'api_key.created' | 'api_key.rotated' | 'api_key.revoked' | 'api_key.disabled' | 'api_key.enabled' | 'api_key.updated';
export const THROTTLED_ACTION = 'api_key.verification_throttled';

const FREE_TEXT_MAX = 256;

interface Detail {
  key: string;
  value: string;
}

export function actorOf(principal: Principal): ActorInit {
  return {
    type: principal.type,
    id: principal.id,
    userId: principal.userId,
    apiKeyId: principal.apiKeyId,
    sessionId: principal.sessionId,
  };
}

/** A change to a key, made by `actor`. */
export function keyAudit(action: KeyAction, key: ApiKeyRecord, actor: ActorInit, opts: { message: string; details?: Detail[] }): Event {
  return createEvent({
    source: 'auth',
    tenantId: key.tenantId,
    actor,
    action,
    outcome: Outcome.SUCCESS,
    payload: {
      case: 'audit',
      value: {
        resource: {
          kind: 'api_key',
          id: key.id,
          attributes: [
            { key: 'owner_user_id', value: key.userId },
            { key: 'hint', value: key.hint },
            { key: 'name', value: truncate(key.name) },
            { key: 'roles', value: key.roles.join(',') },
            { key: 'tier', value: key.tier },
            { key: 'version', value: String(key.version) },
          ],
        },
        message: opts.message,
        details: (opts.details ?? []).map((d) => ({ key: d.key, value: truncate(d.value) })),
        security: { accessGranted: true },
      },
    },
  });
}

/** `api_key.created` for the bootstrap key: who and which key, never the secret (only its hint). */
export function bootstrapKeyCreatedAudit(credential: BootstrapCredential): Event {
  return createEvent({
    source: 'auth',
    tenantId: credential.tenantId,
    actor: { type: PrincipalType.SERVICE, id: 'aegis-auth-bootstrap' },
    action: 'api_key.created',
    outcome: Outcome.SUCCESS,
    payload: {
      case: 'audit',
      value: {
        resource: { kind: 'api_key', id: credential.keyId },
        message: `bootstrap admin key ${credential.hint} created for user ${credential.userId}`,
        security: { accessGranted: true },
      },
    },
  });
}

/**
 * A source went over the failed-verification threshold. Raised once per block (the instance
 * that set the block marker raises it), never per attempt. The tenant is the one the caller
 * named, else the platform tenant: an unverified key belongs to nobody yet.
 */
export function verificationThrottledAudit(input: { tenantId: string; source: string; crossing: ThrottleCrossing; windowMs: number }): Event {
  const source = truncate(input.source);
  const blockSeconds = Math.max(0, Math.ceil((input.crossing.until - Date.now()) / 1000));
  return createEvent({
    source: 'auth',
    tenantId: input.tenantId,
    actor: { type: PrincipalType.ANONYMOUS, id: source },
    action: THROTTLED_ACTION,
    outcome: Outcome.DENIED,
    payload: {
      case: 'audit',
      value: {
        message: `API-key verification throttled for source ${source}: ${input.crossing.failures} failures within ${Math.round(input.windowMs / 1000)} s`,
        details: [
          { key: 'source', value: source },
          { key: 'failures', value: String(input.crossing.failures) },
          { key: 'blocked_seconds', value: String(blockSeconds) },
        ],
        security: {
          accessGranted: false,
          alerts: [{ code: 'API_KEY_VERIFICATION_THROTTLED', severity: Severity.MEDIUM, message: 'repeated failed API-key verifications from one source' }],
        },
      },
    },
  });
}

function truncate(text: string): string {
  const chars = [...text];
  return chars.length <= FREE_TEXT_MAX ? text : `${chars.slice(0, FREE_TEXT_MAX - 1).join('')}…`;
}
