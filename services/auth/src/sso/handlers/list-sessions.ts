import type { HandlerContext } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { ListSessionsResponseSchema, type ListSessionsRequest, type ListSessionsResponse } from '@aegis/proto/aegis/auth/v1/session_service_pb.js';
import { invalidArgument, requireLength, requireTenantId } from '@aegis/shared';
import { decodeSessionPageToken, encodeSessionPageToken } from '../domain/session-page-token.js';
import type { SessionHandlerDeps } from './session-handler-deps.js';
import { sessionToProto } from './session-proto.js';

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** Newest first. A user may list their own sessions (user_id = self); others need session:read. */
export async function listSessions(deps: SessionHandlerDeps, req: ListSessionsRequest, ctx: HandlerContext): Promise<ListSessionsResponse> {
  const tenantId = requireTenantId(req.tenantId);
  requireLength(req.userId, 'user_id', 0, 128);
  deps.authorizer.authorize(ctx, { tenantId, ...(req.userId !== '' ? { ownerUserId: req.userId } : {}) });
  if (req.pageSize < 0) throw invalidArgument('page_size', 'must not be negative');
  const pageSize = req.pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(req.pageSize, MAX_PAGE_SIZE);
  const query = { tenantId, userId: req.userId, includeEnded: req.includeEnded };
  const after = req.pageToken === '' ? undefined : decodeSessionPageToken(req.pageToken, query);
  // One extra row says whether another page exists without a second query.
  const rows = await deps.sessions.list(tenantId, {
    includeEnded: req.includeEnded,
    limit: pageSize + 1,
    ...(req.userId !== '' ? { userId: req.userId } : {}),
    ...(after !== undefined ? { beforeSessionId: after } : {}),
  });
  const page = rows.slice(0, pageSize);
  const last = page[page.length - 1];
  return create(ListSessionsResponseSchema, {
    sessions: page.map((s) => sessionToProto(s)),
    nextPageToken: rows.length > pageSize && last !== undefined ? encodeSessionPageToken(query, last.sessionId) : '',
  });
}
