import type { HandlerContext } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { UpdateIdentityProviderResponseSchema, type UpdateIdentityProviderRequest, type UpdateIdentityProviderResponse } from '@aegis/proto/aegis/auth/v1/identity_provider_service_pb.js';
import { requireRange, requireTenantId } from '@aegis/shared';
import { actorOf } from '../audit.js';
import { requireProviderId, validateProviderSettings } from '../domain/provider-validation.js';
import type { ProviderHandlerDeps } from './create-identity-provider.js';
import { providerFromRequest, providerInput, providerToProto } from './identity-provider-proto.js';

export async function updateIdentityProvider(deps: ProviderHandlerDeps, req: UpdateIdentityProviderRequest, ctx: HandlerContext): Promise<UpdateIdentityProviderResponse> {
  const tenantId = requireTenantId(req.tenantId);
  const principal = deps.authorizer.authorize(ctx, { tenantId });
  const provider = providerFromRequest(req.provider, tenantId);
  const providerId = requireProviderId(provider.providerId);
  const expectedVersion = Number(requireRange(req.expectedVersion, 'expected_version', 0n, BigInt(Number.MAX_SAFE_INTEGER)));
  const settings = validateProviderSettings(providerInput(provider), deps.validation);
  const record = await deps.providers.update(tenantId, providerId, settings, req.clientSecret, expectedVersion, actorOf(principal));
  return create(UpdateIdentityProviderResponseSchema, { provider: providerToProto(record) });
}
