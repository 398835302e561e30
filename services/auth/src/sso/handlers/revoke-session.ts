import type { HandlerContext } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { RevokeSessionResponseSchema, type RevokeSessionRequest, type RevokeSessionResponse } from '@aegis/proto/aegis/auth/v1/session_service_pb.js';
import { notFound, requirePattern, requireTenantId } from '@aegis/shared';
import { actorOf } from '../audit.js';
import { requireOwnerOrPermission } from './access.js';
import { SESSION_ID_PATTERN, type SessionHandlerDeps } from './session-handler-deps.js';
import { sessionToProto } from './session-proto.js';

/** Logout when the caller ends its own session; anyone else needs session:revoke. Idempotent. */
export async function revokeSession(deps: SessionHandlerDeps, req: RevokeSessionRequest, ctx: HandlerContext): Promise<RevokeSessionResponse> {
  const tenantId = requireTenantId(req.tenantId);
  const principal = deps.authorizer.authorize(ctx, { tenantId });
  const sessionId = requirePattern(req.sessionId, 'session_id', SESSION_ID_PATTERN, 'a session id (UUID)');
  const existing = await deps.sessions.get(tenantId, sessionId);
  if (existing === undefined) throw notFound('session', sessionId);
  requireOwnerOrPermission(principal, existing.userId, 'session:revoke');
  const why = principal.userId === existing.userId ? 'logged out' : `revoked by ${principal.id}`;
  const session = await deps.sessions.revoke(tenantId, sessionId, actorOf(principal), why);
  if (session === undefined) throw notFound('session', sessionId);
  return create(RevokeSessionResponseSchema, { session: sessionToProto(session) });
}
