import type { BucketOp, BucketParams } from './domain/index.js';

// The stores behind the service, each with a Redis and an in-memory implementation held to
// one contract suite (test/integration/stores).

/** Whose buckets: every bucket of one (tenant, key) lives on one Redis Cluster slot. */
export interface BucketOwner {
  readonly tenantId: string;
  readonly key: string;
}

export interface BucketLimit {
  /** The limit's name: one bucket per (owner, name). */
  readonly name: string;
  readonly params: BucketParams;
}

export interface BucketAnswer {
  readonly allowed: boolean;
  /** Units used per limit after the operation (as before it when denied or peeking). */
  readonly used: readonly number[];
}

export interface BucketStore {
  /** One atomic step over every limit, on the store's clock. `cost` ≤ every limit's burst (checked by the caller). */
  apply(op: BucketOp, owner: BucketOwner, limits: readonly BucketLimit[], cost: number): Promise<BucketAnswer>;
}

export interface LeaseRequest {
  readonly leaseId: string;
  readonly holder: string;
  readonly ttlMs: number;
  readonly maxConcurrent: number;
}

export interface LeaseGrant {
  readonly acquired: boolean;
  /** Live leases after the call. */
  readonly activeCount: number;
  /** Epoch ms (store clock): the new lease's expiry when acquired. */
  readonly expireAtMs: number;
  /** When refused: ms until the earliest live lease expires. */
  readonly retryAfterMs: number;
}

export interface LiveLease {
  readonly holder: string;
  readonly expireAtMs: number;
}

export interface LeaseStore {
  acquire(owner: BucketOwner, request: LeaseRequest): Promise<LeaseGrant>;
  /** False when the lease had expired or never existed. */
  release(owner: BucketOwner, leaseId: string): Promise<boolean>;
  /** The lease with its new expiry; undefined when it had expired or never existed. */
  renew(owner: BucketOwner, leaseId: string, ttlMs: number): Promise<LiveLease | undefined>;
}
