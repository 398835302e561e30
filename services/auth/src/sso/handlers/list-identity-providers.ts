import type { HandlerContext } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { ListIdentityProvidersResponseSchema, type ListIdentityProvidersRequest, type ListIdentityProvidersResponse } from '@aegis/proto/aegis/auth/v1/identity_provider_service_pb.js';
import { requireTenantId } from '@aegis/shared';
import type { ProviderHandlerDeps } from './create-identity-provider.js';
import { providerToProto } from './identity-provider-proto.js';

export async function listIdentityProviders(deps: ProviderHandlerDeps, req: ListIdentityProvidersRequest, ctx: HandlerContext): Promise<ListIdentityProvidersResponse> {
  const tenantId = requireTenantId(req.tenantId);
  deps.authorizer.authorize(ctx, { tenantId });
  const records = await deps.providers.list(tenantId);
  return create(ListIdentityProvidersResponseSchema, { providers: records.map(providerToProto) });
}
