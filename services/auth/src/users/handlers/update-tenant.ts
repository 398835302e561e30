import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { type UpdateTenantRequest, type UpdateTenantResponse, UpdateTenantResponseSchema } from '@aegis/proto/aegis/auth/v1/tenant_service_pb.js';
import { failedPrecondition, requireRange, requireTenantId } from '@aegis/shared';
import { actorOf } from '../audit.js';
import { requireBusinessHours, requireTenantName, requireTimeZone } from '../domain/tenant-input.js';
import { tenantToProto } from '../proto-mapping.js';
import type { UsersHandlerDeps } from './handler-deps.js';

export async function updateTenant(h: UsersHandlerDeps, req: UpdateTenantRequest, ctx: HandlerContext): Promise<UpdateTenantResponse> {
  const tenantId = requireTenantId(req.tenantId);
  const update = {
    displayName: requireTenantName(req.displayName),
    timeZone: requireTimeZone(req.timeZone),
    businessHours: requireBusinessHours(req.businessHours),
    disabled: req.disabled,
    expectedVersion: requireRange(req.expectedVersion, 'expected_version', 0n, BigInt(Number.MAX_SAFE_INTEGER)),
  };
  const principal = h.authorizer.authorize(ctx, { tenantId });
  const platform = principal.tenantId === h.platformTenantId;
  // The platform tenant disabling itself would lock every operator out.
  if (tenantId === h.platformTenantId && update.disabled) throw failedPrecondition('the platform tenant cannot be disabled');
  const tenant = await h.tenants.update(actorOf(principal), tenantId, update, { platform });
  return create(UpdateTenantResponseSchema, { tenant: tenantToProto(tenant) });
}
