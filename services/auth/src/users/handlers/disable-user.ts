import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { type DisableUserRequest, type DisableUserResponse, DisableUserResponseSchema } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { failedPrecondition, requireLength, requireTenantId } from '@aegis/shared';
import { actorOf } from '../audit.js';
import { requireUserId } from '../domain/user-input.js';
import { userToProto } from '../proto-mapping.js';
import type { UsersHandlerDeps } from './handler-deps.js';

export async function disableUser(h: UsersHandlerDeps, req: DisableUserRequest, ctx: HandlerContext): Promise<DisableUserResponse> {
  const tenantId = requireTenantId(req.tenantId);
  const userId = requireUserId(req.userId);
  const reason = requireLength(req.reason.trim(), 'reason', 0, 500);
  const principal = h.authorizer.authorize(ctx, { tenantId });
  // Locking oneself out is never what an admin means, and would end the very call's credential.
  if (principal.tenantId === tenantId && principal.userId === userId) throw failedPrecondition('a user cannot disable themselves');
  const { user, counts } = await h.users.disable(actorOf(principal), tenantId, userId, reason);
  return create(DisableUserResponseSchema, {
    user: userToProto(user, await h.users.identitiesOf(user)),
    revokedApiKeys: counts.revokedApiKeys,
    revokedSessions: counts.revokedSessions,
  });
}
