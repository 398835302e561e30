import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import type { ActorInit } from '@aegis/shared';

/** The envelope's actor for a verified principal (ids only: roles and attributes stay out). */
export function actorOf(principal: Principal): ActorInit {
  return {
    type: principal.type,
    id: principal.id,
    userId: principal.userId,
    apiKeyId: principal.apiKeyId,
    sessionId: principal.sessionId,
  };
}
