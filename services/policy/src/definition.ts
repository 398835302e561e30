import { fileURLToPath } from 'node:url';
import type { ServiceContext, ServiceDefinition } from '@aegis/shared';
import { registerAdminServices } from './admin/index.js';
import { AuditTrail } from './audit/index.js';
import { Authorizer } from './authorization.js';
import { loadPolicyConfig } from './config.js';
import { registerDecisionService, TenantPolicySets } from './decisions/index.js';
import { registerPolicyTestService } from './policy-tests/module.js';
import { PostgresPolicyStore, SnapshotCache } from './store/index.js';
import { startPolicyChangeNotices } from './store/policy-change-notices.js';
import { startTenantSettings } from './tenants/index.js';

export const policyService: ServiceDefinition = {
  name: 'policy',
  defaultPort: 8082,
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  async build(ctx: ServiceContext) {
    const config = loadPolicyConfig(ctx.env);
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
    // Other services' permission caches drop a tenant's decisions when its snapshot changes.
    startPolicyChangeNotices(ctx, cache);
    // Business hours and time zones from auth; a change reloads the tenant through the cache.
    startTenantSettings(ctx);
    const authorizer = new Authorizer(config.AEGIS_AUTH_BOOTSTRAP_TENANT);
    const audit = new AuditTrail({
      publisher: ctx.publisher,
      logger: ctx.logger,
      allowSampleRate: config.AEGIS_POLICY_AUDIT_ALLOW_SAMPLE_RATE,
      registry: ctx.metrics.registry,
    });
    // Close steps run after the server drained and before the event producer closes.
    ctx.onShutdown({ name: 'policy decision audit', run: () => audit.flush() });
    return {
      routes(router) {
        registerDecisionService(router, { policySets, authorizer, audit, now: () => Date.now() });
        registerAdminServices(router, { store, snapshots: cache, authorizer, audit });
        registerPolicyTestService(router, { snapshots: cache, authorizer, now: () => Date.now() });
      },
    };
  },
};
