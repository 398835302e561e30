import type { HandlerContext } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { DeleteIdentityProviderResponseSchema, type DeleteIdentityProviderRequest, type DeleteIdentityProviderResponse } from '@aegis/proto/aegis/auth/v1/identity_provider_service_pb.js';
import { requireRange, requireTenantId } from '@aegis/shared';
import { actorOf } from '../audit.js';
import { requireProviderId } from '../domain/provider-validation.js';
import type { ProviderHandlerDeps } from './create-identity-provider.js';

export async function deleteIdentityProvider(deps: ProviderHandlerDeps, req: DeleteIdentityProviderRequest, ctx: HandlerContext): Promise<DeleteIdentityProviderResponse> {
  const tenantId = requireTenantId(req.tenantId);
  const principal = deps.authorizer.authorize(ctx, { tenantId });
  const providerId = requireProviderId(req.providerId, 'provider_id');
  const expectedVersion = Number(requireRange(req.expectedVersion, 'expected_version', 0n, BigInt(Number.MAX_SAFE_INTEGER)));
  await deps.providers.delete(tenantId, providerId, expectedVersion, actorOf(principal));
  return create(DeleteIdentityProviderResponseSchema, {});
}
