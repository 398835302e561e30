import { closeRedis, createRedis, type ServiceContext } from '@aegis/shared';
import { MemoryBucketStore } from './adapters/memory/memory-bucket-store.js';
import { MemoryLeaseStore } from './adapters/memory/memory-lease-store.js';
import { InstanceRegistry } from './adapters/redis/instance-registry.js';
import { RedisBucketStore } from './adapters/redis/redis-bucket-store.js';
import { RedisLeaseStore } from './adapters/redis/redis-lease-store.js';
import { RateLimiter } from './checks/rate-limiter.js';
import type { RatelimitConfig } from './config.js';
import { degradedAudit, recoveredAudit } from './degradation/degradation-audit.js';
import { StoreGuard } from './degradation/store-guard.js';
import { GuardedLeaseStore } from './leases/guarded-lease-store.js';
import type { RatelimitMetrics } from './metrics.js';
import type { LeaseStore } from './ports.js';

// Redis when REDIS_URL is set (its own client, with the tight deadline), in memory otherwise.

export interface LimiterBackend {
  limiter: RateLimiter;
  leases: LeaseStore;
}

export function createLimiterBackend(ctx: ServiceContext, settings: RatelimitConfig, metrics: RatelimitMetrics, instanceId: string): LimiterBackend {
  const local = new MemoryBucketStore();
  const onDegradedDecision = (mode: string, allowed: boolean) => metrics.degradedDecisions.inc({ mode, result: allowed ? 'allowed' : 'denied' });
  if (ctx.config.redisUrl === undefined) {
    return {
      limiter: new RateLimiter({ store: local, local, defaultFailureMode: settings.defaultFailureMode, instances: () => 1, onDegradedDecision }),
      leases: new MemoryLeaseStore(),
    };
  }
  const client = createRedis({
    url: ctx.config.redisUrl,
    name: 'ratelimit-limiter',
    logger: ctx.logger,
    keyPrefix: `${ctx.config.redisKeyPrefix}ratelimit:`,
    // The guard answers at its deadline; this only keeps commands from piling up behind it.
    commandTimeoutMs: Math.max(4 * settings.redisTimeoutMs, 250),
  });
  const registry = new InstanceRegistry(client, instanceId);
  registry.start();
  const publish = (event: Parameters<typeof ctx.publisher.publish>[0]) =>
    ctx.publisher.publish(event).catch((err: unknown) => ctx.logger.error({ err, action: event.action }, 'ratelimit: could not publish the audit event'));
  const guard = new StoreGuard({
    timeoutMs: settings.redisTimeoutMs,
    failuresToDegrade: settings.failuresToDegrade,
    probeIntervalMs: settings.probeIntervalMs,
    probe: () => client.ping(),
    onDegraded(cause) {
      metrics.degraded.set(1);
      metrics.degradations.inc();
      const reason = cause instanceof Error ? cause.message : 'unknown error';
      ctx.logger.error({ err: cause }, 'ratelimit: Redis unavailable, answering from the fallback until it is back');
      void publish(degradedAudit(settings.platformTenantId, instanceId, settings.defaultFailureMode, reason));
    },
    onRecovered(outageMs) {
      metrics.degraded.set(0);
      ctx.logger.info({ outageMs }, 'ratelimit: Redis is back; checks use it again');
      void publish(recoveredAudit(settings.platformTenantId, instanceId, outageMs));
    },
  });
  ctx.onShutdown({
    name: 'ratelimit redis',
    run: async () => {
      guard.close();
      await registry.stop();
      await closeRedis(client);
    },
  });
  return {
    limiter: new RateLimiter({
      store: new RedisBucketStore(client),
      guard,
      local,
      defaultFailureMode: settings.defaultFailureMode,
      instances: () => Math.max(settings.expectedInstances, registry.count),
      onDegradedDecision,
    }),
    leases: new GuardedLeaseStore(new RedisLeaseStore(client)),
  };
}
