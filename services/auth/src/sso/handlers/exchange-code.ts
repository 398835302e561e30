import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ExchangeCodeResponseSchema, type ExchangeCodeRequest, type ExchangeCodeResponse } from '@aegis/proto/aegis/auth/v1/oauth_service_pb.js';
import { UserSchema, UserStatus } from '@aegis/proto/aegis/auth/v1/user_pb.js';
import { requireLength, requireTenantId } from '@aegis/shared';
import type { LoginFlow } from '../login-flow.js';
import type { IdentityLinkStore } from '../ports.js';
import { sessionToProto } from './session-proto.js';

/** Public: the request carries the credential (the code) being checked; failures are throttled per source. */
export async function exchangeCode(flow: LoginFlow, links: IdentityLinkStore, req: ExchangeCodeRequest): Promise<ExchangeCodeResponse> {
  const tenantId = requireTenantId(req.tenantId);
  requireLength(req.state, 'state', 1, 256);
  requireLength(req.code, 'code', 1, 4096);
  requireLength(req.redirectUri, 'redirect_uri', 1, 2048);
  requireLength(req.ipAddress, 'ip_address', 0, 64);
  const login = await flow.finish({
    tenantId,
    state: req.state,
    code: req.code,
    redirectUri: req.redirectUri,
    ipAddress: req.ipAddress,
    // Recorded, not interpreted: a long one is cut rather than refusing the login.
    userAgent: req.userAgent.slice(0, 512),
  });
  const identities = await links.listForUser(tenantId, login.user.userId);
  return create(ExchangeCodeResponseSchema, {
    tokens: login.tokens,
    user: create(UserSchema, {
      tenantId: login.user.tenantId,
      userId: login.user.userId,
      email: login.user.email ?? '',
      displayName: login.user.displayName,
      roles: login.user.roles,
      status: login.user.disabled ? UserStatus.DISABLED : UserStatus.ACTIVE,
      identities: identities.map((i) => ({ providerId: i.providerId, subject: i.subject, linkTime: timestampFromDate(i.linkTime) })),
    }),
    userCreated: login.userCreated,
    session: sessionToProto(login.session),
    evictedSessionIds: login.evicted.map((s) => s.sessionId),
  });
}
