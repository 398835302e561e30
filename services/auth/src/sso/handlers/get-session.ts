import type { HandlerContext } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { GetSessionResponseSchema, type GetSessionRequest, type GetSessionResponse } from '@aegis/proto/aegis/auth/v1/session_service_pb.js';
import { notFound, requirePattern, requireTenantId } from '@aegis/shared';
import { requireOwnerOrPermission } from './access.js';
import { SESSION_ID_PATTERN, type SessionHandlerDeps } from './session-handler-deps.js';
import { sessionToProto } from './session-proto.js';

export async function getSession(deps: SessionHandlerDeps, req: GetSessionRequest, ctx: HandlerContext): Promise<GetSessionResponse> {
  const tenantId = requireTenantId(req.tenantId);
  const principal = deps.authorizer.authorize(ctx, { tenantId });
  const sessionId = requirePattern(req.sessionId, 'session_id', SESSION_ID_PATTERN, 'a session id (UUID)');
  const session = await deps.sessions.get(tenantId, sessionId);
  if (session === undefined) throw notFound('session', sessionId);
  requireOwnerOrPermission(principal, session.userId, 'session:read');
  return create(GetSessionResponseSchema, { session: sessionToProto(session) });
}
