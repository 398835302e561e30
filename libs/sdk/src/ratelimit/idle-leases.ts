import type { Client } from '@connectrpc/connect';
import type { LeaseService } from '@aegis/proto/aegis/ratelimit/v1/lease_service_pb.js';

export interface SlotReuseOptions {
  /** A freed lease waits this long for the next run of its key before it is released (default 1000 ms). */
  idleMs?: number;
  /** Lifetime asked for beyond a run's own, over which the lease can be handed on (default 10 s). */
  reuseSpanMs?: number;
  /** Keys whose last runs are remembered (default 10 000). */
  maxKeys?: number;
  now?: () => number;
}

/** A concurrency lease held by this process. */
export interface HeldLease {
  tenantId: string;
  key: string;
  maxConcurrent: bigint;
  leaseId: string;
  /** When it expires at the latest: the time its AcquireLease was sent plus its TTL (local clock). */
  expiresAt: number;
}

const MAX_LEASE_TTL_MS = 3_600_000;

/**
 * Concurrency leases kept for a moment after their run, so the next run of the same key takes
 * one over instead of an AcquireLease and a ReleaseLease round trip. Every lease here is a live
 * slot in the limiter, so this process always holds at least as many slots as it has runs in
 * flight and the limit holds; what it costs is that an idle slot (at most `idleMs`) is not
 * free for another process's run of the key. Only a key that started another run within
 * `idleMs` keeps its lease: a one-off run frees its slot at once, as without reuse.
 */
export class IdleLeases {
  readonly #leases: Client<typeof LeaseService>;
  readonly #idle = new Map<string, { lease: HeldLease; timer: ReturnType<typeof setTimeout> }[]>();
  /** The last two run starts of each key, newest last. */
  readonly #starts = new Map<string, [number | undefined, number]>();
  readonly #pending = new Set<Promise<void>>();
  readonly #idleMs: number;
  readonly #reuseSpanMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  #closed = false;
  #reused = 0;

  constructor(leases: Client<typeof LeaseService>, opts: SlotReuseOptions = {}) {
    this.#leases = leases;
    this.#idleMs = opts.idleMs ?? 1000;
    this.#reuseSpanMs = opts.reuseSpanMs ?? 10_000;
    this.#maxKeys = opts.maxKeys ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  /** The clock leases' expiry is kept on. */
  now(): number {
    return this.#now();
  }

  /** The TTL to acquire with: the run's own plus the span over which the lease may be handed on. */
  ttlFor(runTtlMs: number): number {
    return Math.min(MAX_LEASE_TTL_MS, runTtlMs + this.#reuseSpanMs);
  }

  /**
   * Notes that a run of the key starts, and hands it an idle lease of the key that lives at
   * least `runTtlMs` more, if there is one.
   */
  take(tenantId: string, key: string, maxConcurrent: bigint, runTtlMs: number): HeldLease | undefined {
    const id = poolKey(tenantId, key, maxConcurrent);
    const now = this.#now();
    const starts = this.#starts.get(id);
    this.#starts.delete(id);
    this.#starts.set(id, [starts?.[1], now]);
    if (this.#starts.size > this.#maxKeys) this.#starts.delete(this.#starts.keys().next().value!);
    const pool = this.#idle.get(id);
    while (pool !== undefined && pool.length > 0) {
      const { lease, timer } = pool.pop()!;
      clearTimeout(timer);
      if (pool.length === 0) this.#idle.delete(id);
      if (lease.expiresAt - now >= runTtlMs) {
        this.#reused++;
        return lease;
      }
      this.#release(lease);
    }
    return undefined;
  }

  /**
   * A run is over: its lease waits `idleMs` for the next run of the key when the key is busy
   * and the lease would still outlive such a run, else it is released now.
   */
  put(lease: HeldLease, runTtlMs: number): Promise<void> {
    const id = poolKey(lease.tenantId, lease.key, lease.maxConcurrent);
    const now = this.#now();
    const previousStart = this.#starts.get(id)?.[0];
    const busy = previousStart !== undefined && now - previousStart <= this.#idleMs;
    if (this.#closed || !busy || lease.expiresAt - now < runTtlMs + this.#idleMs) return this.#release(lease);
    const timer = setTimeout(() => {
      const pool = this.#idle.get(id);
      const at = pool?.findIndex((held) => held.lease === lease) ?? -1;
      if (at < 0) return;
      pool!.splice(at, 1);
      if (pool!.length === 0) this.#idle.delete(id);
      void this.#release(lease);
    }, this.#idleMs);
    timer.unref?.();
    const pool = this.#idle.get(id);
    if (pool === undefined) this.#idle.set(id, [{ lease, timer }]);
    else pool.push({ lease, timer });
    return Promise.resolve();
  }

  /** Leases waiting for a run, and runs that took one over. */
  stats(): { idle: number; reused: number } {
    let idle = 0;
    for (const pool of this.#idle.values()) idle += pool.length;
    return { idle, reused: this.#reused };
  }

  /**
   * Releases every idle lease now, e.g. when the limiter answered degraded: its store may have
   * lost leases (a failover, a flush), and one handed on then would no longer count against
   * the limit.
   */
  releaseIdle(): void {
    for (const pool of this.#idle.values()) {
      for (const { lease, timer } of pool) {
        clearTimeout(timer);
        void this.#release(lease);
      }
    }
    this.#idle.clear();
  }

  /** Releases every idle lease; resolves when they are answered (undefined when none). */
  close(): Promise<void> | undefined {
    this.#closed = true;
    this.releaseIdle();
    if (this.#pending.size === 0) return undefined;
    return Promise.allSettled([...this.#pending]).then(() => {});
  }

  // Best effort, like the guard's release: an unreleased lease frees itself at its TTL.
  #release(lease: HeldLease): Promise<void> {
    const releasing = this.#leases.releaseLease({ tenantId: lease.tenantId, key: lease.key, leaseId: lease.leaseId }).then(() => {}, () => {});
    this.#pending.add(releasing);
    void releasing.finally(() => this.#pending.delete(releasing));
    return releasing;
  }
}

function poolKey(tenantId: string, key: string, maxConcurrent: bigint): string {
  return `${tenantId.length}:${tenantId}|${maxConcurrent}|${key}`;
}
