import type { HandlerContext } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { GetIdentityProviderResponseSchema, type GetIdentityProviderRequest, type GetIdentityProviderResponse } from '@aegis/proto/aegis/auth/v1/identity_provider_service_pb.js';
import { notFound, requireTenantId } from '@aegis/shared';
import { requireProviderId } from '../domain/provider-validation.js';
import type { ProviderHandlerDeps } from './create-identity-provider.js';
import { providerToProto } from './identity-provider-proto.js';

export async function getIdentityProvider(deps: ProviderHandlerDeps, req: GetIdentityProviderRequest, ctx: HandlerContext): Promise<GetIdentityProviderResponse> {
  const tenantId = requireTenantId(req.tenantId);
  deps.authorizer.authorize(ctx, { tenantId });
  const providerId = requireProviderId(req.providerId, 'provider_id');
  const record = await deps.providers.get(tenantId, providerId);
  if (record === undefined) throw notFound('identity provider', providerId);
  return create(GetIdentityProviderResponseSchema, { provider: providerToProto(record) });
}
