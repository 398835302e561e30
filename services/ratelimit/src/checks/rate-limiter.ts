import type { MemoryBucketStore } from '../adapters/memory/memory-bucket-store.js';
import { bucketParams, readBucket, type BucketOp, type BucketParams, type BucketReading, type LimitOutcome, type LimitSpec } from '../domain/index.js';
import type { StoreGuard } from '../degradation/store-guard.js';
import type { BucketLimit, BucketOwner, BucketStore } from '../ports.js';

// One check, from effective limits to per-limit outcomes: the store's step (Redis or
// memory) in the normal case; while Redis is unavailable, each limit's failure mode decides
// (fail-closed limits deny; fail-open ones run on a local bucket holding this instance to
// its share of the limit). Either way all limits admit or none consumes.

export type FailureMode = 'fail_open' | 'fail_closed';

export interface RateLimiterDeps {
  store: BucketStore;
  /** Present on the Redis path: deadline, degradation and recovery. */
  guard?: StoreGuard;
  /** The fail-open fallback. */
  local: MemoryBucketStore;
  defaultFailureMode: FailureMode;
  /** Instances sharing a limit while degraded (≥ 1). */
  instances(): number;
  /** Counts a degraded decision (metric). */
  onDegradedDecision(mode: FailureMode, allowed: boolean): void;
}

export interface LimiterAnswer {
  allowed: boolean;
  outcomes: LimitOutcome[];
  degraded: boolean;
}

/** While degraded, a fail-closed limit tells callers to come back after about this long. */
const FAIL_CLOSED_RETRY_MICROS = 1_000_000;

// A limit definition's bucket parameters, computed once per definition object: tiers, limit
// sets and overrides are long-lived objects, so the steady state computes (and the Redis
// store encodes) nothing per check.
const paramsOf = new WeakMap<LimitSpec, BucketLimit>();

function bucketLimitOf(limit: LimitSpec): BucketLimit {
  let bucket = paramsOf.get(limit);
  if (bucket === undefined) {
    bucket = { name: limit.name, params: bucketParams(limit) };
    paramsOf.set(limit, bucket);
  }
  return bucket;
}

export class RateLimiter {
  constructor(private readonly deps: RateLimiterDeps) {}

  async run(op: BucketOp, owner: BucketOwner, limits: readonly LimitSpec[], cost: number): Promise<LimiterAnswer> {
    const bucketLimits = limits.map(bucketLimitOf);
    const params = bucketLimits.map((bucket) => bucket.params);
    const guard = this.deps.guard;
    try {
      const answer = guard !== undefined
        ? await guard.run(() => this.deps.store.apply(op, owner, bucketLimits, cost))
        : await this.deps.store.apply(op, owner, bucketLimits, cost);
      return { allowed: answer.allowed, outcomes: outcomesOf(op, limits, params, answer.used, cost, answer.allowed), degraded: false };
    } catch (err) {
      if (guard === undefined || err === null || (err as Error).name !== 'StoreUnavailable') throw err;
      return this.degraded(op, owner, limits, cost);
    }
  }

  private degraded(op: BucketOp, owner: BucketOwner, limits: readonly LimitSpec[], cost: number): LimiterAnswer {
    const modes = limits.map((limit): FailureMode => (limit.failureMode === 'default' ? this.deps.defaultFailureMode : limit.failureMode));
    const instances = Math.max(1, this.deps.instances());
    // This instance's share: the same window spread over `instances` times as long (the
    // rate divided exactly), and 1/instances of the burst (at least one token).
    const shares = limits.map((limit) => bucketParams({ quota: limit.quota, windowSeconds: limit.windowSeconds * instances, burst: Math.max(1, Math.floor(limit.burst / instances)) }));
    const openIdx = limits.map((_, i) => i).filter((i) => modes[i] === 'fail_open');
    const anyClosed = openIdx.length < limits.length;
    const localOp: BucketOp = op === 'consume' && anyClosed ? 'peek' : op;
    const local = this.deps.local.applyNow(localOp, owner, openIdx.map((i) => ({ name: limits[i]!.name, params: shares[i]! })), cost);
    const allowed = op !== 'consume' || (!anyClosed && local.allowed);
    const outcomes = limits.map((limit, i): LimitOutcome => {
      if (modes[i] === 'fail_closed') {
        const reading: BucketReading = { remaining: 0, resetAfterMicros: FAIL_CLOSED_RETRY_MICROS, retryAfterMicros: op === 'consume' || op === 'peek' ? FAIL_CLOSED_RETRY_MICROS : 0 };
        return { limit, reading, allowed: op === 'refund' };
      }
      const used = local.used[openIdx.indexOf(i)]!;
      return outcomeOf(op, limit, shares[i]!, used, cost, allowed);
    });
    for (const mode of new Set(modes)) this.deps.onDegradedDecision(mode, allowed);
    return { allowed, outcomes, degraded: true };
  }
}

function outcomeOf(op: BucketOp, limit: LimitSpec, params: BucketParams, used: number, cost: number, allAllowed: boolean): LimitOutcome {
  const reading = readBucket(used, params, op === 'refund' ? 1 : cost);
  if (op === 'consume' && allAllowed) return { limit, reading: { ...reading, retryAfterMicros: 0 }, allowed: true };
  if (op === 'refund') return { limit, reading, allowed: true };
  return { limit, reading, allowed: reading.retryAfterMicros === 0 };
}

function outcomesOf(op: BucketOp, limits: readonly LimitSpec[], params: readonly BucketParams[], used: readonly number[], cost: number, allowed: boolean): LimitOutcome[] {
  return limits.map((limit, i) => outcomeOf(op, limit, params[i]!, used[i]!, cost, allowed));
}
