import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { type EnableUserRequest, type EnableUserResponse, EnableUserResponseSchema } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { requireTenantId } from '@aegis/shared';
import { actorOf } from '../audit.js';
import { requireUserId } from '../domain/user-input.js';
import { userToProto } from '../proto-mapping.js';
import type { UsersHandlerDeps } from './handler-deps.js';

/** Revoked keys and ended sessions stay so: the user starts from fresh credentials. */
export async function enableUser(h: UsersHandlerDeps, req: EnableUserRequest, ctx: HandlerContext): Promise<EnableUserResponse> {
  const tenantId = requireTenantId(req.tenantId);
  const userId = requireUserId(req.userId);
  const principal = h.authorizer.authorize(ctx, { tenantId });
  const user = await h.users.enable(actorOf(principal), tenantId, userId);
  return create(EnableUserResponseSchema, { user: userToProto(user, await h.users.identitiesOf(user)) });
}
