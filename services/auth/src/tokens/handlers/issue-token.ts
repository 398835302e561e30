import type { HandlerContext } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { type IssueTokenRequest, type IssueTokenResponse, IssueTokenResponseSchema } from '@aegis/proto/aegis/auth/v1/token_service_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { invalidArgument, permissionDenied, requireLength, requireTenantId } from '@aegis/shared';
import { actorOf } from '../audit.js';
import { MAX_ACCESS_TOKEN_TTL_MS, MIN_ACCESS_TOKEN_TTL_MS } from '../domain/access-token.js';
import type { TokenHandlerDeps } from './handler-deps.js';
import { isSameUser, requirePermission } from './permissions.js';

const SCOPE = /^[A-Za-z0-9_.:*/-]{1,128}$/;
const MAX_SCOPES = 50;

/**
 * IssueToken: a user may issue for itself; anyone else (an admin, an API key) needs
 * `token:issue` in the tenant. A token never carries more than its issuer's credential: a
 * scope-narrowed caller can only issue within its scopes, and a token issued by a user for
 * itself stays bound to the caller's session, so ending the session ends it too.
 */
export async function issueToken(deps: TokenHandlerDeps, req: IssueTokenRequest, ctx: HandlerContext): Promise<IssueTokenResponse> {
  const tenantId = requireTenantId(req.tenantId);
  const principal = deps.authorizer.authorize(ctx, { tenantId });
  // Defaulting to the caller only makes sense in the caller's own tenant.
  const userId = req.userId !== '' ? requireLength(req.userId, 'user_id', 1, 128) : principal.tenantId === tenantId ? principal.userId : '';
  if (userId === '') throw invalidArgument('user_id', 'is required unless the caller is a user of this tenant');
  const self = principal.type === PrincipalType.USER && isSameUser(principal, tenantId, userId);
  if (!self) requirePermission(principal, 'token:issue');

  let ttlSeconds: number | undefined;
  if (req.ttl !== undefined) {
    const ttlMs = Number(req.ttl.seconds) * 1000 + Math.floor(req.ttl.nanos / 1e6);
    if (!(ttlMs >= MIN_ACCESS_TOKEN_TTL_MS && ttlMs <= MAX_ACCESS_TOKEN_TTL_MS)) throw invalidArgument('ttl', 'must be between 1 minute and 24 hours');
    ttlSeconds = ttlMs / 1000;
  }
  if (req.scopes.length > MAX_SCOPES) throw invalidArgument('scopes', `at most ${MAX_SCOPES} scopes`);
  req.scopes.forEach((scope, i) => {
    if (!SCOPE.test(scope)) throw invalidArgument(`scopes[${i}]`, 'must be 1-128 letters, digits, "_", ".", ":", "*", "/" or "-"');
  });
  let scopes = [...new Set(req.scopes)];
  if (principal.scopes.length > 0) {
    const beyond = scopes.filter((s) => !principal.scopes.includes(s));
    if (beyond.length > 0) throw permissionDenied('the calling credential is narrowed by scopes; the token may only carry scopes it holds itself');
    if (scopes.length === 0) scopes = [...principal.scopes];
  }
  const sessionId = self && principal.sessionId !== '' ? principal.sessionId : undefined;

  const tokens = await deps.issuance.issueForUser({
    tenantId,
    userId,
    audience: req.audience,
    scopes,
    includeRefreshToken: req.includeRefreshToken,
    ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
    ...(sessionId !== undefined ? { sessionId } : {}),
  }, actorOf(principal));
  return create(IssueTokenResponseSchema, { tokens });
}
