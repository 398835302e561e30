import type { HandlerContext } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { durationMs } from '@bufbuild/protobuf/wkt';
import { SessionLimitAction } from '@aegis/proto/aegis/auth/v1/session_pb.js';
import { UpdateSessionPolicyResponseSchema, type UpdateSessionPolicyRequest, type UpdateSessionPolicyResponse } from '@aegis/proto/aegis/auth/v1/session_service_pb.js';
import { invalidArgument, requirePresent, requireRange, requireTenantId } from '@aegis/shared';
import { actorOf } from '../audit.js';
import { MAX_CONCURRENT_SESSIONS, MAX_SESSION_TIMEOUT_MS, MIN_SESSION_TIMEOUT_MS } from '../domain/session.js';
import type { SessionHandlerDeps } from './session-handler-deps.js';
import { policyToProto } from './session-proto.js';

/** Replaces the rules; sessions already open keep their expire_time. */
export async function updateSessionPolicy(deps: SessionHandlerDeps & { defaultTimeoutMs: number }, req: UpdateSessionPolicyRequest, ctx: HandlerContext): Promise<UpdateSessionPolicyResponse> {
  const tenantId = requireTenantId(req.tenantId);
  const principal = deps.authorizer.authorize(ctx, { tenantId });
  const policy = requirePresent(req.policy, 'policy');
  if (policy.tenantId !== '' && policy.tenantId !== tenantId) throw invalidArgument('policy.tenant_id', 'must be empty or equal tenant_id');
  const timeoutMs = policy.sessionTimeout === undefined ? deps.defaultTimeoutMs : durationMs(policy.sessionTimeout);
  if (!(timeoutMs >= MIN_SESSION_TIMEOUT_MS && timeoutMs <= MAX_SESSION_TIMEOUT_MS)) {
    throw invalidArgument('policy.session_timeout', 'must be between 5 minutes and 30 days');
  }
  requireRange(policy.maxConcurrentSessions, 'policy.max_concurrent_sessions', 0, MAX_CONCURRENT_SESSIONS);
  if (policy.limitAction !== SessionLimitAction.UNSPECIFIED && policy.limitAction !== SessionLimitAction.EVICT_OLDEST && policy.limitAction !== SessionLimitAction.REFUSE_NEW) {
    throw invalidArgument('policy.limit_action', 'must be EVICT_OLDEST or REFUSE_NEW');
  }
  const expectedVersion = Number(requireRange(req.expectedVersion, 'expected_version', 0n, BigInt(Number.MAX_SAFE_INTEGER)));
  const saved = await deps.sessions.updatePolicy({
    tenantId,
    sessionTimeoutMs: timeoutMs,
    maxConcurrentSessions: policy.maxConcurrentSessions,
    limitAction: policy.limitAction === SessionLimitAction.REFUSE_NEW ? 'refuse_new' : 'evict_oldest',
  }, expectedVersion, actorOf(principal));
  return create(UpdateSessionPolicyResponseSchema, { policy: policyToProto(saved) });
}
