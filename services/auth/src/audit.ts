import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { Outcome } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { createEvent } from '@aegis/shared';
import type { BootstrapCredential } from './bootstrap-admin.js';

/** `api_key.created` for the bootstrap key: who and which key, never the secret (only its hint). */
export function keyCreatedAudit(credential: BootstrapCredential): Event {
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
