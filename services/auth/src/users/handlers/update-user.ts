import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { type UpdateUserRequest, type UpdateUserResponse, UpdateUserResponseSchema } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { requireRange, requireTenantId } from '@aegis/shared';
import { actorOf } from '../audit.js';
import { requireAttributes, requireDisplayName, requireUserId } from '../domain/user-input.js';
import { userToProto } from '../proto-mapping.js';
import type { UsersHandlerDeps } from './handler-deps.js';

export async function updateUser(h: UsersHandlerDeps, req: UpdateUserRequest, ctx: HandlerContext): Promise<UpdateUserResponse> {
  const tenantId = requireTenantId(req.tenantId);
  const userId = requireUserId(req.userId);
  const input = {
    displayName: requireDisplayName(req.displayName),
    attributes: requireAttributes(req.attributes),
    expectedVersion: requireRange(req.expectedVersion, 'expected_version', 0n, BigInt(Number.MAX_SAFE_INTEGER)),
  };
  const principal = h.authorizer.authorize(ctx, { tenantId });
  const user = await h.users.update(actorOf(principal), tenantId, userId, input);
  return create(UpdateUserResponseSchema, { user: userToProto(user, await h.users.identitiesOf(user)) });
}
