import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { type CreateTenantRequest, type CreateTenantResponse, CreateTenantResponseSchema } from '@aegis/proto/aegis/auth/v1/tenant_service_pb.js';
import { actorOf } from '../audit.js';
import { requireBusinessHours, requireNewTenantId, requireTenantName, requireTimeZone } from '../domain/tenant-input.js';
import { normalizeEmail } from '../domain/user-input.js';
import { tenantToProto } from '../proto-mapping.js';
import type { UsersHandlerDeps } from './handler-deps.js';

/** Platform scope: the authorizer admits only principals of the platform tenant. */
export async function createTenant(h: UsersHandlerDeps, req: CreateTenantRequest, ctx: HandlerContext): Promise<CreateTenantResponse> {
  const tenant = {
    id: requireNewTenantId(req.tenantId),
    displayName: requireTenantName(req.displayName),
    timeZone: requireTimeZone(req.timeZone),
    businessHours: requireBusinessHours(req.businessHours),
  };
  const adminEmail = normalizeEmail(req.adminEmail, 'admin_email');
  const principal = h.authorizer.authorize(ctx, { tenantId: tenant.id });
  const created = await h.tenants.create(actorOf(principal), tenant, adminEmail);
  return create(CreateTenantResponseSchema, { tenant: tenantToProto(created.tenant), adminUserId: created.admin.id });
}
