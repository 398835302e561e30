import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { type CreateUserRequest, type CreateUserResponse, CreateUserResponseSchema } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { requireTenantId } from '@aegis/shared';
import { actorOf } from '../audit.js';
import { normalizeEmail, requireAttributes, requireDisplayName, requireRoleNames } from '../domain/user-input.js';
import { userToProto } from '../proto-mapping.js';
import { requireMayGrant, type UsersHandlerDeps } from './handler-deps.js';

export async function createUser(h: UsersHandlerDeps, req: CreateUserRequest, ctx: HandlerContext): Promise<CreateUserResponse> {
  const tenantId = requireTenantId(req.tenantId);
  const input = {
    tenantId,
    email: normalizeEmail(req.email),
    displayName: requireDisplayName(req.displayName),
    roles: requireRoleNames(req.roles),
    attributes: requireAttributes(req.attributes),
  };
  const principal = h.authorizer.authorize(ctx, { tenantId });
  requireMayGrant(principal, input.roles);
  const user = await h.users.create(actorOf(principal), input);
  return create(CreateUserResponseSchema, { user: userToProto(user) });
}
