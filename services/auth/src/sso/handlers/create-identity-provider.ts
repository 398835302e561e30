import type { HandlerContext } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { CreateIdentityProviderResponseSchema, type CreateIdentityProviderRequest, type CreateIdentityProviderResponse } from '@aegis/proto/aegis/auth/v1/identity_provider_service_pb.js';
import { requireTenantId } from '@aegis/shared';
import type { Authorizer } from '../../authorization.js';
import { actorOf } from '../audit.js';
import { requireProviderId, validateProviderSettings, type ValidationContext } from '../domain/provider-validation.js';
import type { ProviderRegistry } from '../provider-registry.js';
import { providerFromRequest, providerInput, providerToProto } from './identity-provider-proto.js';

export interface ProviderHandlerDeps {
  authorizer: Authorizer;
  providers: ProviderRegistry;
  validation: ValidationContext;
}

export async function createIdentityProvider(deps: ProviderHandlerDeps, req: CreateIdentityProviderRequest, ctx: HandlerContext): Promise<CreateIdentityProviderResponse> {
  const tenantId = requireTenantId(req.tenantId);
  const principal = deps.authorizer.authorize(ctx, { tenantId });
  const provider = providerFromRequest(req.provider, tenantId);
  const providerId = requireProviderId(provider.providerId);
  const settings = validateProviderSettings(providerInput(provider), deps.validation);
  const record = await deps.providers.create(tenantId, providerId, settings, req.clientSecret, actorOf(principal));
  return create(CreateIdentityProviderResponseSchema, { provider: providerToProto(record) });
}
