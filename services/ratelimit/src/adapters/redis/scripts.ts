import type { RedisClient } from '@aegis/shared';
import { BUCKET_SCRIPT } from './bucket-script.js';
import { ACQUIRE_SCRIPT, RELEASE_SCRIPT, RENEW_SCRIPT } from './lease-script.js';

// ioredis `defineCommand` sends EVALSHA and, on NOSCRIPT (a restarted or failed-over Redis
// that lost its script cache), EVAL once, which also reloads the script: one round trip in
// the steady state, no start-up SCRIPT LOAD to get wrong. Key prefixes apply to KEYS.

type Reply = unknown;

export interface RatelimitScripts {
  /** numKeys, the owners' hashes, then each step's arguments (bucket-script.ts). */
  aegisRlBucket(...numKeysKeysAndArgs: (string | number)[]): Promise<Reply>;
  aegisRlLeaseAcquire(k1: string, k2: string, ...args: (string | number)[]): Promise<Reply>;
  aegisRlLeaseRelease(k1: string, k2: string, leaseId: string): Promise<Reply>;
  aegisRlLeaseRenew(k1: string, k2: string, leaseId: string, ttlMs: number): Promise<Reply>;
}

const defined = new WeakSet<object>();

/** The client with the service's scripts defined on it (idempotent). */
export function withScripts(client: RedisClient): RatelimitScripts {
  if (!defined.has(client)) {
    client.defineCommand('aegisRlBucket', { lua: BUCKET_SCRIPT });
    client.defineCommand('aegisRlLeaseAcquire', { numberOfKeys: 2, lua: ACQUIRE_SCRIPT });
    client.defineCommand('aegisRlLeaseRelease', { numberOfKeys: 2, lua: RELEASE_SCRIPT });
    client.defineCommand('aegisRlLeaseRenew', { numberOfKeys: 2, lua: RENEW_SCRIPT });
    defined.add(client);
  }
  return client as unknown as RatelimitScripts;
}
