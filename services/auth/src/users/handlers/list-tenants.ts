import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { type ListTenantsRequest, type ListTenantsResponse, ListTenantsResponseSchema } from '@aegis/proto/aegis/auth/v1/tenant_service_pb.js';
import { decodePageToken, encodePageToken, pageSize } from '../domain/page.js';
import { tenantToProto } from '../proto-mapping.js';
import type { UsersHandlerDeps } from './handler-deps.js';

const QUERY = 'tenants';

/** Platform scope: the request has no tenant, the authorizer checks the caller's. */
export async function listTenants(h: UsersHandlerDeps, req: ListTenantsRequest, ctx: HandlerContext): Promise<ListTenantsResponse> {
  const limit = pageSize(req.pageSize);
  const after = decodePageToken(req.pageToken, QUERY, 1);
  h.authorizer.authorize(ctx, { tenantId: h.platformTenantId });
  const tenants = await h.tenants.list({ limit: limit + 1, ...(after !== undefined ? { afterId: after[0]! } : {}) });
  const page = tenants.slice(0, limit);
  const last = page.at(-1);
  return create(ListTenantsResponseSchema, {
    tenants: page.map(tenantToProto),
    nextPageToken: tenants.length > limit && last !== undefined ? encodePageToken(QUERY, [last.id]) : '',
  });
}
