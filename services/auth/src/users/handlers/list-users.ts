import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { type ListUsersRequest, type ListUsersResponse, ListUsersResponseSchema } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { requireTenantId } from '@aegis/shared';
import { decodePageToken, encodePageToken, pageSize } from '../domain/page.js';
import { requireRoleNames } from '../domain/user-input.js';
import { userToProto } from '../proto-mapping.js';
import type { UsersHandlerDeps } from './handler-deps.js';

export async function listUsers(h: UsersHandlerDeps, req: ListUsersRequest, ctx: HandlerContext): Promise<ListUsersResponse> {
  const tenantId = requireTenantId(req.tenantId);
  const role = req.role === '' ? undefined : requireRoleNames([req.role], 'role')[0];
  const limit = pageSize(req.pageSize);
  // The token is bound to the filters: a cursor from another listing would skip or repeat users.
  const query = JSON.stringify(['users', tenantId, role ?? '', req.includeDisabled]);
  const after = decodePageToken(req.pageToken, query, 2);
  h.authorizer.authorize(ctx, { tenantId });
  // One extra row tells whether another page exists without a count query.
  const users = await h.users.list({
    tenantId, includeDisabled: req.includeDisabled, limit: limit + 1,
    ...(role !== undefined ? { role } : {}),
    ...(after !== undefined ? { after: [after[0]!, after[1]!] } : {}),
  });
  const page = users.slice(0, limit);
  const last = page.at(-1);
  return create(ListUsersResponseSchema, {
    users: page.map((user) => userToProto(user)),
    nextPageToken: users.length > limit && last !== undefined ? encodePageToken(query, [last.email ?? '', last.id]) : '',
  });
}
