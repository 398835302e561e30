import { createPolicyChanges, type Logger, type PolicyChanges, type ServiceContext } from '@aegis/shared';
import type { SnapshotCache } from './snapshot-cache.js';

/**
 * Tells every service's permission cache (libs/shared/src/authz) that a tenant's decisions
 * changed. Published by each instance once it has installed the new snapshot, rather than by
 * the writer after commit: the notice then means "this instance answers with the new version",
 * so a cache that drops its entries and asks again is not answered from the old snapshot here;
 * changes found by the periodic recheck (a lost NOTIFY) are announced too, and a writer dying
 * between commit and publish loses nothing. With N instances a change makes N tiny notices;
 * caches ignore the ones about a version they already hold.
 */
export function announcePolicyChanges(cache: Pick<SnapshotCache, 'onChange'>, changes: Pick<PolicyChanges, 'publish'>, logger: Logger): () => void {
  return cache.onChange((snapshot) => {
    changes.publish({ tenantId: snapshot.tenantId, policyVersion: snapshot.policyVersion }).catch((err: unknown) => {
      // Caches then hold the old decisions until their TTL (seconds) or the next notice.
      logger.warn({ err, tenantId: snapshot.tenantId }, 'policy-change notice not published; permission caches expire by TTL');
    });
  });
}

/** The notices of this instance on the platform channel (Redis pub/sub, or in process), closed on shutdown. */
export function startPolicyChangeNotices(ctx: ServiceContext, cache: Pick<SnapshotCache, 'onChange'>): void {
  const { redisUrl, redisKeyPrefix } = ctx.config;
  const changes = createPolicyChanges({ name: 'policy', logger: ctx.logger, keyPrefix: redisKeyPrefix, ...(redisUrl !== undefined ? { redisUrl } : {}) });
  const stop = announcePolicyChanges(cache, changes, ctx.logger);
  ctx.onShutdown({
    name: 'policy-change notices',
    run: async () => {
      stop();
      await changes.close();
    },
  });
}
