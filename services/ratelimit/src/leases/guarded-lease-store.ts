import { unavailable } from '@aegis/shared';
import type { BucketOwner, LeaseGrant, LeaseRequest, LeaseStore, LiveLease } from '../ports.js';

/**
 * Leases have no local fallback: a slot count cannot be split between instances the way a
 * rate can, so while Redis is unavailable a lease call fails closed with Unavailable.
 */
export class GuardedLeaseStore implements LeaseStore {
  constructor(private readonly inner: LeaseStore) {}

  acquire(owner: BucketOwner, request: LeaseRequest): Promise<LeaseGrant> {
    return this.guard(() => this.inner.acquire(owner, request));
  }

  release(owner: BucketOwner, leaseId: string): Promise<boolean> {
    return this.guard(() => this.inner.release(owner, leaseId));
  }

  renew(owner: BucketOwner, leaseId: string, ttlMs: number): Promise<LiveLease | undefined> {
    return this.guard(() => this.inner.renew(owner, leaseId, ttlMs));
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw unavailable('the lease store is unavailable; retry shortly', { cause: err, retryAfterMs: 1_000 });
    }
  }
}
