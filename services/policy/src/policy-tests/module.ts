import type { ConnectRouter } from '@connectrpc/connect';
import { PolicyTestService } from '@aegis/proto/aegis/policy/v1/policy_test_service_pb.js';
import { runPolicyTestsHandler, type PolicyTestHandlerDeps } from './handler.js';

/** PolicyTestService: policy tests against the stored rules, overlaid with drafts. */
export function registerPolicyTestService(router: ConnectRouter, deps: PolicyTestHandlerDeps): void {
  router.service(PolicyTestService, {
    runPolicyTests: (req, ctx) => runPolicyTestsHandler(deps, req, ctx),
  });
}
