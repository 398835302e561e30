import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { type GetTenantRequest, type GetTenantResponse, GetTenantResponseSchema } from '@aegis/proto/aegis/auth/v1/tenant_service_pb.js';
import { requireTenantId } from '@aegis/shared';
import { tenantToProto } from '../proto-mapping.js';
import type { UsersHandlerDeps } from './handler-deps.js';

export async function getTenant(h: UsersHandlerDeps, req: GetTenantRequest, ctx: HandlerContext): Promise<GetTenantResponse> {
  const tenantId = requireTenantId(req.tenantId);
  h.authorizer.authorize(ctx, { tenantId });
  return create(GetTenantResponseSchema, { tenant: tenantToProto(await h.tenants.get(tenantId)) });
}
