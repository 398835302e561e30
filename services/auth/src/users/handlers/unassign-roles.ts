import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { type UnassignRolesRequest, type UnassignRolesResponse, UnassignRolesResponseSchema } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { invalidArgument, requireTenantId } from '@aegis/shared';
import { actorOf } from '../audit.js';
import { requireRoleNames, requireUserId } from '../domain/user-input.js';
import { userToProto } from '../proto-mapping.js';
import type { UsersHandlerDeps } from './handler-deps.js';

export async function unassignRoles(h: UsersHandlerDeps, req: UnassignRolesRequest, ctx: HandlerContext): Promise<UnassignRolesResponse> {
  const tenantId = requireTenantId(req.tenantId);
  const userId = requireUserId(req.userId);
  const roles = requireRoleNames(req.roles);
  if (roles.length === 0) throw invalidArgument('roles', 'must name at least one role');
  const principal = h.authorizer.authorize(ctx, { tenantId });
  const user = await h.users.unassignRoles(actorOf(principal), tenantId, userId, roles);
  return create(UnassignRolesResponseSchema, { user: userToProto(user, await h.users.identitiesOf(user)) });
}
