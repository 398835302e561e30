import { DecisionService } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { PolicyService } from '@aegis/proto/aegis/policy/v1/policy_service_pb.js';
import { PolicyTestService } from '@aegis/proto/aegis/policy/v1/policy_test_service_pb.js';
import { RoleService } from '@aegis/proto/aegis/policy/v1/role_service_pb.js';
import type { ServiceDefinition } from '@aegis/shared';

export const policyService: ServiceDefinition = {
  name: 'policy',
  defaultPort: 8082,
  async build() {
    return {
      routes(router) {
        // The contracts are served with the whole runtime (health, reflection, metrics, tracing,
        // error mapping) ahead of the policy issue; until it lands each RPC answers Unimplemented.
        for (const service of [DecisionService, PolicyService, PolicyTestService, RoleService]) router.service(service, {});
      },
    };
  },
};
