import type { IntrospectTokenRequest, IntrospectTokenResponse } from '@aegis/proto/aegis/auth/v1/token_service_pb.js';
import { requireNonEmpty, requireTenantId } from '@aegis/shared';
import type { TokenHandlerDeps } from './handler-deps.js';

/** IntrospectToken (public, RFC 7662): an inactive token is an answer, only an empty one is an error. */
export async function introspectToken(deps: TokenHandlerDeps, req: IntrospectTokenRequest): Promise<IntrospectTokenResponse> {
  requireNonEmpty(req.token, 'token');
  const tenantId = req.tenantId === '' ? undefined : requireTenantId(req.tenantId);
  // The hint only saves a guess elsewhere; our two kinds are told apart by their shape.
  return deps.introspection.introspect(req.token, tenantId);
}
