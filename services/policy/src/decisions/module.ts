import type { ConnectRouter } from '@connectrpc/connect';
import { DecisionService } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { checkBatch } from './handlers/check-batch.js';
import { check } from './handlers/check.js';
import type { DecisionHandlerDeps } from './handlers/handler-deps.js';
import { listPermissions } from './handlers/list-permissions.js';
import { watchPolicyChanges, type WatchHandlerDeps } from './handlers/watch-policy-changes.js';

/** DecisionService: the decision point, answered from the tenant's compiled set in memory. */
export function registerDecisionService(router: ConnectRouter, deps: DecisionHandlerDeps & { watch: Omit<WatchHandlerDeps, 'authorizer' | 'policySets' | 'now'> }): void {
  const watch: WatchHandlerDeps = { ...deps.watch, authorizer: deps.authorizer, policySets: deps.policySets, now: deps.now };
  router.service(DecisionService, {
    check: (req, ctx) => check(deps, req, ctx),
    checkBatch: (req, ctx) => checkBatch(deps, req, ctx),
    listPermissions: (req, ctx) => listPermissions(deps, req, ctx),
    watchPolicyChanges: (req, ctx) => watchPolicyChanges(watch, req, ctx),
  });
}
