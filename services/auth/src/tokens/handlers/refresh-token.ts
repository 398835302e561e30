import type { HandlerContext } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { type RefreshTokenRequest, type RefreshTokenResponse, RefreshTokenResponseSchema } from '@aegis/proto/aegis/auth/v1/token_service_pb.js';
import { isAegisError, requireLength, requireNonEmpty, requireTenantId } from '@aegis/shared';
import { requestSource } from '../refresh-throttle.js';
import type { TokenHandlerDeps } from './handler-deps.js';

// Far longer than the refresh tokens we issue (52 characters); refuses megabytes before hashing.
const MAX_TOKEN_LENGTH = 256;

/** RefreshToken (public: the body carries the credential). Every refusal counts against the caller's source. */
export async function refreshToken(deps: TokenHandlerDeps, req: RefreshTokenRequest, ctx: HandlerContext): Promise<RefreshTokenResponse> {
  requireNonEmpty(req.refreshToken, 'refresh_token');
  requireLength(req.refreshToken, 'refresh_token', 1, MAX_TOKEN_LENGTH);
  const tenantId = req.tenantId === '' ? undefined : requireTenantId(req.tenantId);
  const source = requestSource(ctx);
  await deps.throttle.check(source);
  try {
    return create(RefreshTokenResponseSchema, { tokens: await deps.refresh.refresh(req.refreshToken, tenantId) });
  } catch (err) {
    if (isAegisError(err) && err.kind === 'unauthenticated') await deps.throttle.recordFailure(source);
    throw err;
  }
}
