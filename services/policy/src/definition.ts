import { fileURLToPath } from 'node:url';
import type { ServiceContext, ServiceDefinition } from '@aegis/shared';
import { registerAdminServices } from './admin/index.js';
import { AuditTrail } from './audit/index.js';
import { Authorizer } from './authorization.js';
import { loadPolicyConfig } from './config.js';
import { PolicyRevisionFeed, registerDecisionService, TenantPolicySets } from './decisions/index.js';
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
    // And SDK decision caches, through WatchPolicyChanges. Streams end as the server starts
    // draining, so their callers move to another instance instead of holding the drain open.
    const revisions = new PolicyRevisionFeed(cache);
    const stopWatchesOnDrain = ctx.health.onChange(() => {
      if (ctx.health.draining) revisions.stop();
    });
    ctx.onShutdown({
      name: 'policy change watches',
      run: async () => {
        stopWatchesOnDrain();
        revisions.stop();
      },
    });
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
        registerDecisionService(router, {
          policySets,
          authorizer,
          audit,
          now: () => Date.now(),
          decisionCacheTtlMs: config.AEGIS_POLICY_DECISION_CACHE_TTL_MS,
          watch: { feed: revisions, platformTenantId: config.AEGIS_AUTH_BOOTSTRAP_TENANT, heartbeatMs: config.AEGIS_POLICY_WATCH_HEARTBEAT_MS },
        });
        registerAdminServices(router, { store, snapshots: cache, authorizer, audit });
        registerPolicyTestService(router, { snapshots: cache, authorizer, now: () => Date.now() });
      },
    };
  },
};
