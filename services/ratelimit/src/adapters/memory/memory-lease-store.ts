import type { BucketOwner, LeaseGrant, LeaseRequest, LeaseStore, LiveLease } from '../../ports.js';

type Leases = Map<string, LiveLease>;

/** Concurrency leases in one process, with the Redis store's semantics (expired = gone). */
export class MemoryLeaseStore implements LeaseStore {
  readonly #owners = new Map<string, Leases>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  async acquire(owner: BucketOwner, request: LeaseRequest): Promise<LeaseGrant> {
    const now = this.nowMs();
    const leases = this.live(owner, now, true)!;
    if (leases.size >= request.maxConcurrent) {
      const earliest = Math.min(...[...leases.values()].map((l) => l.expireAtMs));
      return { acquired: false, activeCount: leases.size, expireAtMs: 0, retryAfterMs: Math.max(0, earliest - now) };
    }
    const expireAtMs = now + request.ttlMs;
    leases.set(request.leaseId, { holder: request.holder, expireAtMs });
    return { acquired: true, activeCount: leases.size, expireAtMs, retryAfterMs: 0 };
  }

  async release(owner: BucketOwner, leaseId: string): Promise<boolean> {
    const leases = this.live(owner, this.nowMs(), false);
    const released = leases?.delete(leaseId) ?? false;
    this.forgetIfEmpty(owner, leases);
    return released;
  }

  async renew(owner: BucketOwner, leaseId: string, ttlMs: number): Promise<LiveLease | undefined> {
    const now = this.nowMs();
    const leases = this.live(owner, now, false);
    const lease = leases?.get(leaseId);
    if (lease === undefined) return undefined;
    const renewed = { holder: lease.holder, expireAtMs: now + ttlMs };
    leases!.set(leaseId, renewed);
    return renewed;
  }

  private live(owner: BucketOwner, now: number, create: boolean): Leases | undefined {
    const id = JSON.stringify([owner.tenantId, owner.key]);
    let leases = this.#owners.get(id);
    if (leases === undefined) {
      if (!create) return undefined;
      leases = new Map();
      this.#owners.set(id, leases);
    }
    for (const [leaseId, lease] of leases) if (lease.expireAtMs <= now) leases.delete(leaseId);
    return leases;
  }

  private forgetIfEmpty(owner: BucketOwner, leases: Leases | undefined): void {
    if (leases !== undefined && leases.size === 0) this.#owners.delete(JSON.stringify([owner.tenantId, owner.key]));
  }
}
