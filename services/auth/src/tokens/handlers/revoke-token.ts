import type { HandlerContext } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { type RevokeTokenRequest, type RevokeTokenResponse, RevokeTokenResponseSchema } from '@aegis/proto/aegis/auth/v1/token_service_pb.js';
import { invalidArgument, requireLength, requireNonEmpty, requireTenantId } from '@aegis/shared';
import { actorOf } from '../audit.js';
import { looksLikeRefreshToken, refreshTokenDigest } from '../domain/refresh-token-secret.js';
import type { TokenHandlerDeps } from './handler-deps.js';
import { isSameUser, requirePermission } from './permissions.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_TOKEN_LENGTH = 16_384;
const DONE = (): RevokeTokenResponse => create(RevokeTokenResponseSchema, {});

/**
 * RevokeToken (RFC 7009): an access token by value or jti, or a refresh token with its whole
 * family. A token that is unknown, invalid, expired or of another tenant is "revoked" already:
 * success, and nothing tells the caller which. A principal may revoke its own tokens; others'
 * need `token:revoke`.
 */
export async function revokeToken(deps: TokenHandlerDeps, req: RevokeTokenRequest, ctx: HandlerContext): Promise<RevokeTokenResponse> {
  const tenantId = requireTenantId(req.tenantId);
  const target = req.target;
  if (target.case === undefined) throw invalidArgument('target', 'set either token or jti');
  const principal = deps.authorizer.authorize(ctx, { tenantId });
  const mayRevoke = (ownerUserId: string): void => {
    if (!isSameUser(principal, tenantId, ownerUserId)) requirePermission(principal, 'token:revoke');
  };

  if (target.case === 'jti') {
    const jti = requireLength(requireNonEmpty(target.value, 'jti'), 'jti', 1, 128);
    if (!UUID.test(jti)) return DONE();
    const record = await deps.ledger.findAccessToken(jti.toLowerCase());
    if (record === undefined || record.tenantId !== tenantId) return DONE();
    mayRevoke(record.userId);
    await deps.revocation.revokeAccessToken(record, actorOf(principal));
    return DONE();
  }

  const token = requireNonEmpty(target.value, 'token');
  if (token.length > MAX_TOKEN_LENGTH) return DONE();
  if (looksLikeRefreshToken(token)) {
    const found = await deps.ledger.findRefreshToken(refreshTokenDigest(token));
    if (found === undefined || found.family.tenantId !== tenantId) return DONE();
    mayRevoke(found.family.userId);
    await deps.revocation.revokeFamily(found.family, 'revoked', actorOf(principal));
    return DONE();
  }
  const access = await deps.introspection.readAccessToken(token);
  if (access === undefined || access.record.tenantId !== tenantId) return DONE();
  mayRevoke(access.record.userId);
  await deps.revocation.revokeAccessToken(access.record, actorOf(principal));
  return DONE();
}
