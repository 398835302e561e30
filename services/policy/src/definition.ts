import { fileURLToPath } from 'node:url';
import { PolicyTestService } from '@aegis/proto/aegis/policy/v1/policy_test_service_pb.js';
import type { ServiceContext, ServiceDefinition } from '@aegis/shared';
import { registerAdminServices } from './admin/index.js';
import { Authorizer } from './authorization.js';
import { registerDecisionService, TenantPolicySets } from './decisions/index.js';
import { PostgresPolicyStore, SnapshotCache } from './store/index.js';

// The platform tenant is auth's bootstrap tenant (docs/contracts.md); read from the same
// variable so both services agree on who administers every tenant.
const PLATFORM_TENANT_VARIABLE = 'AEGIS_AUTH_BOOTSTRAP_TENANT';

export const policyService: ServiceDefinition = {
  name: 'policy',
  defaultPort: 8082,
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  async build(ctx: ServiceContext) {
    const store = new PostgresPolicyStore(ctx.db);
    const cache = await SnapshotCache.start({ store, db: ctx.db, logger: ctx.logger });
    const policySets = new TenantPolicySets(cache, ctx.logger);
    ctx.onShutdown({
      name: 'policy snapshot cache',
      run: async () => {
        policySets.close();
        await cache.close();
      },
    });
    const authorizer = new Authorizer(ctx.env[PLATFORM_TENANT_VARIABLE]?.trim() || 'default');
    return {
      routes(router) {
        registerDecisionService(router, { policySets, authorizer, now: () => Date.now() });
        registerAdminServices(router, { store, authorizer });
        // Policy tests (the YAML test runner) are not served yet: Unimplemented.
        router.service(PolicyTestService, {});
      },
    };
  },
};
