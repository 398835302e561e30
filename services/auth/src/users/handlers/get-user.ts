import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { type GetUserRequest, type GetUserResponse, GetUserResponseSchema } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { requireTenantId } from '@aegis/shared';
import { requireUserId } from '../domain/user-input.js';
import { userToProto } from '../proto-mapping.js';
import type { UsersHandlerDeps } from './handler-deps.js';

/** A user may read themselves without `user:read`. */
export async function getUser(h: UsersHandlerDeps, req: GetUserRequest, ctx: HandlerContext): Promise<GetUserResponse> {
  const tenantId = requireTenantId(req.tenantId);
  const userId = requireUserId(req.userId);
  h.authorizer.authorize(ctx, { tenantId, ownerUserId: userId });
  const user = await h.users.get(tenantId, userId);
  return create(GetUserResponseSchema, { user: userToProto(user, await h.users.identitiesOf(user)) });
}
