import type { HandlerContext } from '@connectrpc/connect';
import type { RunPolicyTestsRequest, RunPolicyTestsResponse } from '@aegis/proto/aegis/policy/v1/policy_test_service_pb.js';
import { requireTenantId } from '@aegis/shared';
import { rejected } from '../admin/violations.js';
import type { Authorizer } from '../authorization.js';
import type { PolicySnapshot, SnapshotCache } from '../store/index.js';
import type { StoredRules } from './rules-under-test.js';
import { runPolicyTests } from './run-policy-tests.js';

/** What RunPolicyTests is given. */
export interface PolicyTestHandlerDeps {
  /** The stored rules, as every instance holds them in memory. */
  snapshots: Pick<SnapshotCache, 'current'>;
  authorizer: Authorizer;
  /** Request time, epoch milliseconds, for cases that do not pin `time.*`. */
  now(): number;
}

/**
 * RunPolicyTests: the caller needs `policy:test` in the tenant (the RPC's access option),
 * checked before the request is looked at so a refused caller learns nothing about the
 * tenant's rules. Nothing is stored and no audit event is written: a test is not a decision.
 */
export function runPolicyTestsHandler(deps: PolicyTestHandlerDeps, req: RunPolicyTestsRequest, ctx: HandlerContext): RunPolicyTestsResponse {
  const tenantId = requireTenantId(req.tenantId);
  deps.authorizer.authorize(ctx, { tenantId });
  const outcome = runPolicyTests(req, storedRules(deps.snapshots.current(tenantId)), deps.now());
  if (outcome.violations !== undefined) throw rejected(outcome.violations);
  return outcome.response;
}

function storedRules(snapshot: PolicySnapshot): StoredRules {
  return {
    revision: Number(snapshot.policyVersion),
    roles: snapshot.roles,
    policies: snapshot.policies,
    ...(snapshot.businessHours !== undefined ? { businessHours: snapshot.businessHours } : {}),
  };
}
