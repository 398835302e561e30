import type { Logger } from '../logging/index.js';
import { MemoryBroadcast, RedisBroadcast, type Broadcast } from '../kv/index.js';
import type { DecisionCache } from './decision-cache.js';

/** A tenant's roles or policies changed; decisions made before `policyVersion` are stale. */
export interface PolicyChange {
  tenantId: string;
  policyVersion: bigint;
}

// Under the platform's Redis key prefix (default `aegis:`): `aegis:platform:policy-changes`.
const CHANNEL = 'platform:policy-changes';

/**
 * Platform-wide notices that a tenant's policy changed, published by every policy instance once
 * it serves the new version, and heard by every service's permission cache. At most once:
 * `onReconnect` says notices may have been missed.
 */
export interface PolicyChanges {
  publish(change: PolicyChange): Promise<void>;
  subscribe(handler: (change: PolicyChange) => void, opts?: { onReconnect?: () => void }): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

// Without Redis, services share a process (`npm start`), so one in-process channel reaches all.
let processWide: MemoryBroadcast | undefined;

export function createPolicyChanges(opts: { redisUrl?: string; name: string; keyPrefix?: string; logger?: Logger }): PolicyChanges {
  const broadcast: Broadcast = opts.redisUrl !== undefined
    ? new RedisBroadcast({ url: opts.redisUrl, name: `${opts.name}-policy-changes`, keyPrefix: opts.keyPrefix ?? 'aegis:', ...(opts.logger !== undefined ? { logger: opts.logger } : {}) })
    : (processWide ??= new MemoryBroadcast());
  const ownsBroadcast = opts.redisUrl !== undefined;
  return {
    publish: (change) => broadcast.publish(CHANNEL, JSON.stringify({ tenantId: change.tenantId, policyVersion: String(change.policyVersion) })),
    subscribe: (handler, subscribeOpts) => broadcast.subscribe(CHANNEL, (message) => {
      const change = parseChange(message);
      if (change !== undefined) handler(change);
      else opts.logger?.warn('ignoring a malformed policy-change notice');
    }, subscribeOpts),
    close: async () => {
      if (ownsBroadcast) await broadcast.close();
    },
  };
}

function parseChange(message: string): PolicyChange | undefined {
  try {
    const parsed = JSON.parse(message) as { tenantId?: unknown; policyVersion?: unknown };
    if (typeof parsed.tenantId === 'string' && parsed.tenantId !== '' && typeof parsed.policyVersion === 'string' && /^[0-9]{1,19}$/.test(parsed.policyVersion)) {
      return { tenantId: parsed.tenantId, policyVersion: BigInt(parsed.policyVersion) };
    }
  } catch {
    // fall through
  }
  return undefined;
}

/** Keeps `cache` in step with the notices; returns the unsubscribe. */
export function invalidateOnPolicyChange(cache: DecisionCache, changes: Pick<PolicyChanges, 'subscribe'>): Promise<() => Promise<void>> {
  return changes.subscribe(
    (change) => cache.invalidateTenant(change.tenantId, change.policyVersion),
    { onReconnect: () => cache.clear() },
  );
}
