import { fileURLToPath } from 'node:url';
import type { ServiceContext, ServiceDefinition } from '@aegis/shared';
import { uuidv7 } from 'uuidv7';
import { LimitConfigStore } from './adapters/postgres/limit-config-store.js';
import { registerRateLimitService } from './checks/module.js';
import { loadRatelimitConfig } from './config.js';
import { registerLeaseService } from './leases/module.js';
import { LimitConfigCache } from './limit-config/limit-config-cache.js';
import { registerLimitConfigService } from './limit-config/module.js';
import { createLimiterBackend } from './limiter-backend.js';
import { createRatelimitMetrics } from './metrics.js';

export const ratelimitService: ServiceDefinition = {
  name: 'ratelimit',
  defaultPort: 8083,
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  // Every RPC needs its contract's permission in the request's tenant, decided by policy (the
  // permission interceptor): that is all the authorisation this service's RPCs need, so the
  // handlers carry none of their own (authorization.ts).
  requirePermissions: true,
  // Always: while Redis is down every instance still answers, each limit by its failure mode
  // (fail-open on a local share, fail-closed with a denial and a retry time), and a limit's
  // mode arrives with each request, so no start-up setting can say none will fail open. All
  // replicas share the one Redis: taking them out of rotation would turn those answers into
  // an outage of the service (callers' rate_limit interceptors would then refuse every call
  // as Unavailable). Redis stays probed and reported; the degradation has its own metric.
  redisRequired: false,
  async build(ctx: ServiceContext) {
    // Deny by default: without the interceptor in front, the handlers would let anyone through.
    if (ctx.permissions === undefined) throw new Error('ratelimit: the permission interceptor is not installed (requirePermissions)');
    const settings = loadRatelimitConfig(ctx.env);
    const metrics = createRatelimitMetrics(ctx.metrics.registry);
    const instanceId = `ratelimit/${uuidv7()}`;
    const store = new LimitConfigStore(ctx.db);
    const config = await LimitConfigCache.start({ store, db: ctx.db, logger: ctx.logger });
    ctx.onShutdown({ name: 'ratelimit config cache', run: () => config.close() });
    const { limiter, leases } = createLimiterBackend(ctx, settings, metrics, instanceId);
    const now = () => Date.now();
    return {
      routes(router) {
        registerRateLimitService(router, { limiter, config, metrics, now });
        registerLeaseService(router, { leases, config, now });
        registerLimitConfigService(router, { store, publish: (event) => ctx.publisher.publish(event), logger: ctx.logger, now });
      },
    };
  },
};
