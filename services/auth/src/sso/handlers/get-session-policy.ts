import type { HandlerContext } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { GetSessionPolicyResponseSchema, type GetSessionPolicyRequest, type GetSessionPolicyResponse } from '@aegis/proto/aegis/auth/v1/session_service_pb.js';
import { requireTenantId } from '@aegis/shared';
import type { SessionHandlerDeps } from './session-handler-deps.js';
import { policyToProto } from './session-proto.js';

export async function getSessionPolicy(deps: SessionHandlerDeps, req: GetSessionPolicyRequest, ctx: HandlerContext): Promise<GetSessionPolicyResponse> {
  const tenantId = requireTenantId(req.tenantId);
  deps.authorizer.authorize(ctx, { tenantId });
  return create(GetSessionPolicyResponseSchema, { policy: policyToProto(await deps.sessions.policy(tenantId)) });
}
