import { drainMicros, step, type BucketOp, type BucketState } from '../../domain/index.js';
import type { BucketAnswer, BucketLimit, BucketOwner, BucketStore } from '../../ports.js';
import { systemMicroClock, type MicroClock } from './clock.js';

interface Entry {
  state: BucketState;
  /** µs at which the bucket is full again: then it is as good as absent. */
  drainedAt: number;
}

const SWEEP_EVERY = 4096;

/**
 * The same token buckets in one process (embedded mode, and the fail-open fallback). The
 * domain's `step` is the algorithm; JavaScript is single-threaded, so each apply is atomic.
 */
export class MemoryBucketStore implements BucketStore {
  readonly #buckets = new Map<string, Entry>();
  #operations = 0;

  constructor(private readonly clock: MicroClock = systemMicroClock) {}

  async apply(op: BucketOp, owner: BucketOwner, limits: readonly BucketLimit[], cost: number): Promise<BucketAnswer> {
    return this.applyNow(op, owner, limits, cost);
  }

  /** Synchronous form, for callers that must not yield between read and write. */
  applyNow(op: BucketOp, owner: BucketOwner, limits: readonly BucketLimit[], cost: number): BucketAnswer {
    const now = this.clock();
    // JSON keeps (tenant, key, name) unambiguous whatever characters the key holds.
    const ids = limits.map((limit) => JSON.stringify([owner.tenantId, owner.key, limit.name]));
    const params = limits.map((limit) => limit.params);
    const result = step(op, ids.map((id) => this.#buckets.get(id)?.state), now, params, cost);
    result.writes?.forEach((state, i) => {
      if (state === undefined) this.#buckets.delete(ids[i]!);
      else this.#buckets.set(ids[i]!, { state, drainedAt: state.at + drainMicros(state.used, params[i]!) });
    });
    if (++this.#operations % SWEEP_EVERY === 0) this.sweep(now);
    return { allowed: result.allowed, used: result.used };
  }

  /** Buckets currently held (full ones are dropped by the periodic sweep). */
  get size(): number {
    return this.#buckets.size;
  }

  private sweep(now: number): void {
    for (const [id, entry] of this.#buckets) if (entry.drainedAt <= now) this.#buckets.delete(id);
  }
}
