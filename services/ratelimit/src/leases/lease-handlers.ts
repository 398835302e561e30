import type { ServiceImpl } from '@connectrpc/connect';
import type { Duration } from '@bufbuild/protobuf/wkt';
import { durationFromMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { LeaseService } from '@aegis/proto/aegis/ratelimit/v1/lease_service_pb.js';
import { failedPrecondition, invalidArgument, notFound, requireNonEmpty, requireRange, requireTenantId } from '@aegis/shared';
import { uuidv7 } from 'uuidv7';
import { requireKey } from '../checks/effective-limits.js';
import { resolveMaxConcurrent } from '../domain/index.js';
import type { LimitConfigCache } from '../limit-config/limit-config-cache.js';
import type { LeaseStore } from '../ports.js';

// LeaseService: Kaizen's max_concurrent_executions. Expiry runs on the store's clock, so a
// holder that dies frees its slot at its lease's expiry without anyone releasing it.

export interface LeaseHandlerDeps {
  leases: LeaseStore;
  config: LimitConfigCache;
  now(): number;
}

const DEFAULT_TTL_MS = 60_000;
const MAX_HOLDER_CHARS = 256;
const MAX_CONCURRENT = 100_000;

function ttlMs(ttl: Duration | undefined): number {
  if (ttl === undefined) return DEFAULT_TTL_MS;
  const ms = Number(ttl.seconds) * 1000 + Math.ceil(ttl.nanos / 1_000_000);
  if (!(ms >= 1_000 && ms <= 3_600_000)) throw invalidArgument('ttl', 'must be between 1 s and 1 h');
  return ms;
}

export function leaseHandlers(deps: LeaseHandlerDeps): ServiceImpl<typeof LeaseService> {
  return {
    async acquireLease(req) {
      const tenantId = requireTenantId(req.tenantId);
      const owner = { tenantId, key: requireKey(req.key) };
      const ttl = ttlMs(req.ttl);
      if (req.maxConcurrent < 0n) throw invalidArgument('max_concurrent', 'must not be negative');
      if ([...req.holder].length > MAX_HOLDER_CHARS) throw invalidArgument('holder', `must be at most ${MAX_HOLDER_CHARS} characters`);
      const overrides = deps.config.overrides(tenantId, owner.key);
      const requested = req.maxConcurrent > BigInt(MAX_CONCURRENT) ? MAX_CONCURRENT + 1 : Number(req.maxConcurrent);
      const max = resolveMaxConcurrent(requested, overrides.tenant, overrides.key, deps.now());
      if (max === undefined) throw failedPrecondition('no max_concurrent given or configured for this key');
      requireRange(max, 'max_concurrent', 1, MAX_CONCURRENT);
      const leaseId = uuidv7();
      const grant = await deps.leases.acquire(owner, { leaseId, holder: req.holder, ttlMs: ttl, maxConcurrent: max });
      if (!grant.acquired) {
        return { acquired: false, activeCount: BigInt(grant.activeCount), maxConcurrent: BigInt(max), retryAfter: durationFromMs(grant.retryAfterMs) };
      }
      return {
        acquired: true,
        lease: { tenantId, key: owner.key, leaseId, holder: req.holder, expireTime: timestampFromMs(grant.expireAtMs) },
        activeCount: BigInt(grant.activeCount),
        maxConcurrent: BigInt(max),
      };
    },
    async releaseLease(req) {
      const tenantId = requireTenantId(req.tenantId);
      const owner = { tenantId, key: requireKey(req.key) };
      requireNonEmpty(req.leaseId, 'lease_id');
      return { released: await deps.leases.release(owner, req.leaseId) };
    },
    async renewLease(req) {
      const tenantId = requireTenantId(req.tenantId);
      const owner = { tenantId, key: requireKey(req.key) };
      requireNonEmpty(req.leaseId, 'lease_id');
      const ttl = ttlMs(req.ttl);
      const lease = await deps.leases.renew(owner, req.leaseId, ttl);
      if (lease === undefined) throw notFound('lease', req.leaseId);
      return { lease: { tenantId, key: owner.key, leaseId: req.leaseId, holder: lease.holder, expireTime: timestampFromMs(lease.expireAtMs) } };
    },
  };
}
