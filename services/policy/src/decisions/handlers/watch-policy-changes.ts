import type { MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import type { HandlerContext } from '@connectrpc/connect';
import type { WatchPolicyChangesRequest, WatchPolicyChangesResponseSchema } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { permissionDenied, requirePrincipal, requireTenantId } from '@aegis/shared';
import { holdsPermission, type Authorizer } from '../../authorization.js';
import { decide, type DecisionRequest, type JsonObject } from '../../domain/index.js';
import type { PolicyRevisionFeed } from '../policy-revision-feed.js';
import type { TenantPolicySets } from '../tenant-policy-sets.js';

/** What WatchPolicyChanges is given. */
export interface WatchHandlerDeps {
  feed: PolicyRevisionFeed;
  authorizer: Authorizer;
  policySets: Pick<TenantPolicySets, 'get'>;
  now(): number;
  /** The platform tenant, whose principals may watch every tenant. */
  platformTenantId: string;
  /** A heartbeat follows this long after the last message. */
  heartbeatMs: number;
}

type WatchMessage = MessageInitShape<typeof WatchPolicyChangesResponseSchema>;

/**
 * Subscribes before saying so: a change installed after the caller read `subscribed` is
 * always sent. Changes before it are not replayed; a caller starts its cache empty.
 */
export async function* watchPolicyChanges(deps: WatchHandlerDeps, req: WatchPolicyChangesRequest, ctx: HandlerContext): AsyncGenerator<WatchMessage> {
  const requested = req.tenantId === '' ? undefined : requireTenantId(req.tenantId);
  // The watched tenant must be the caller's own, unless the caller is of the platform tenant.
  const caller = deps.authorizer.authorize(ctx, { tenantId: requested ?? requirePrincipal(ctx).tenantId, tenantOnly: true });
  requireDecisionCheck(deps, caller);
  const scope = requested ?? (caller.tenantId === deps.platformTenantId ? undefined : caller.tenantId);
  const subscription = deps.feed.subscribe(scope);
  try {
    yield { event: { case: 'subscribed', value: { tenantId: scope ?? '', heartbeatInterval: durationFromMs(deps.heartbeatMs) } } };
    for (;;) {
      const revisions = await subscription.next(deps.heartbeatMs, ctx.signal);
      if (revisions === undefined) return;
      if (revisions.length === 0) yield { event: { case: 'heartbeat', value: {} } };
      for (const { tenantId, revision } of revisions) yield { event: { case: 'changed', value: { tenantId, revision } } };
    }
  } finally {
    subscription.close();
  }
}

const PERMISSION = 'decision:check';

/**
 * The contract's permission, decided as the platform's permission interceptor decides it: by
 * the caller's roles in its own tenant (a platform service's guard role grants it), or by the
 * interim rule (the admin role, or the permission carried by the credential).
 */
function requireDecisionCheck(deps: Pick<WatchHandlerDeps, 'policySets' | 'now'>, caller: Principal): void {
  if (holdsPermission(caller, PERMISSION)) return;
  const [kind, action] = PERMISSION.split(':') as [string, string];
  const request: DecisionRequest = {
    tenantId: caller.tenantId,
    principal: { id: caller.userId || caller.id, roles: caller.roles, scopes: caller.scopes, attributes: caller.attributes as JsonObject | undefined },
    action,
    resource: { kind },
    context: { now: deps.now() },
  };
  if (!decide(deps.policySets.get(caller.tenantId), request).allowed) throw permissionDenied(`missing permission ${PERMISSION}`);
}
