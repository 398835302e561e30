import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { GetAuthorizationUrlResponseSchema, type GetAuthorizationUrlRequest, type GetAuthorizationUrlResponse } from '@aegis/proto/aegis/auth/v1/oauth_service_pb.js';
import { requireLength, requireTenantId } from '@aegis/shared';
import { requireProviderId } from '../domain/provider-validation.js';
import type { LoginFlow } from '../login-flow.js';

/** Public: the browser is not logged in yet. */
export async function getAuthorizationUrl(flow: LoginFlow, req: GetAuthorizationUrlRequest): Promise<GetAuthorizationUrlResponse> {
  const tenantId = requireTenantId(req.tenantId);
  const providerId = requireProviderId(req.providerId, 'provider_id');
  requireLength(req.redirectUri, 'redirect_uri', 1, 2048);
  requireLength(req.loginHint, 'login_hint', 0, 320);
  const started = await flow.start({ tenantId, providerId, redirectUri: req.redirectUri, loginHint: req.loginHint });
  return create(GetAuthorizationUrlResponseSchema, {
    authorizationUrl: started.url,
    state: started.state,
    expireTime: timestampFromDate(started.expireTime),
  });
}
