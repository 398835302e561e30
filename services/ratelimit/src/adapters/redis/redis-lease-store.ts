import type { RedisClient } from '@aegis/shared';
import type { BucketOwner, LeaseGrant, LeaseRequest, LeaseStore, LiveLease } from '../../ports.js';
import { leaseKeys } from './keys.js';
import { withScripts, type RatelimitScripts } from './scripts.js';

/** Concurrency leases in Redis (lease-script.ts): expiry on Redis's clock, no leaked slots. */
export class RedisLeaseStore implements LeaseStore {
  readonly #scripts: RatelimitScripts;

  constructor(client: RedisClient) {
    this.#scripts = withScripts(client);
  }

  async acquire(owner: BucketOwner, request: LeaseRequest): Promise<LeaseGrant> {
    const [expiries, holders] = leaseKeys(owner);
    const [acquired, activeCount, expireAtMs, now] = (await this.#scripts.aegisRlLeaseAcquire(
      expiries, holders, request.leaseId, request.holder, request.ttlMs, request.maxConcurrent,
    )) as number[];
    return acquired === 1
      ? { acquired: true, activeCount: activeCount!, expireAtMs: expireAtMs!, retryAfterMs: 0 }
      : { acquired: false, activeCount: activeCount!, expireAtMs: 0, retryAfterMs: Math.max(0, expireAtMs! - now!) };
  }

  async release(owner: BucketOwner, leaseId: string): Promise<boolean> {
    const [expiries, holders] = leaseKeys(owner);
    return (await this.#scripts.aegisRlLeaseRelease(expiries, holders, leaseId)) === 1;
  }

  async renew(owner: BucketOwner, leaseId: string, ttlMs: number): Promise<LiveLease | undefined> {
    const [expiries, holders] = leaseKeys(owner);
    const reply = (await this.#scripts.aegisRlLeaseRenew(expiries, holders, leaseId, ttlMs)) as [number, string] | null;
    return reply === null ? undefined : { expireAtMs: reply[0], holder: reply[1] };
  }
}
