import type { BucketParams } from './limit.js';

// The token bucket step, in integer units (see limit.ts). The Redis adapter runs the same
// steps in Lua (adapters/redis/token-bucket-script.ts) and the memory adapter runs these;
// one contract suite holds both to the same answers.
//
// State is what has been *used*: `used` units at time `at` (µs). An absent bucket is a full
// one, so a bucket that has drained back to zero can simply expire.

export interface BucketState {
  readonly used: number;
  readonly at: number;
  /** unitsPerToken when it was written: a changed limit keeps the tokens used, not the units. */
  readonly unitsPerToken: number;
}

export type BucketOp = 'consume' | 'peek' | 'refund';

/** Units used at `now`. A clock that went back (a Redis failover) refills nothing, and never negatively. */
export function usedAt(state: BucketState | undefined, now: number, params: BucketParams): { used: number; at: number } {
  if (state === undefined) return { used: 0, at: now };
  let used = state.used;
  if (state.unitsPerToken !== params.unitsPerToken) {
    // Rounded up: a changed limit may cost a unit, never hand one out.
    used = Math.min(params.capacity, Math.ceil((used / state.unitsPerToken) * params.unitsPerToken));
  }
  const at = Math.max(state.at, now);
  const elapsed = at - state.at;
  // Compared before multiplying, so `elapsed × refill` never leaves the exact range.
  if (elapsed >= Math.ceil(used / params.refillPerMicro)) return { used: 0, at };
  return { used: used - elapsed * params.refillPerMicro, at };
}

export interface StepResult {
  readonly allowed: boolean;
  /** Units used per limit after the step (unchanged when denied or peeking). */
  readonly used: readonly number[];
  /** New states to store (undefined = delete), only when something changed. */
  readonly writes?: readonly (BucketState | undefined)[];
}

/**
 * One check over every limit of a key, all or nothing: `consume` takes `cost` tokens from
 * every bucket if each has room, else from none; `refund` gives them back (floored at a full
 * bucket); `peek` changes nothing.
 */
export function step(op: BucketOp, states: readonly (BucketState | undefined)[], now: number, params: readonly BucketParams[], cost: number): StepResult {
  const current = params.map((p, i) => usedAt(states[i], now, p));
  const used = current.map((c) => c.used);
  if (op === 'peek') return { allowed: true, used };
  if (op === 'consume' && params.some((p, i) => used[i]! + cost * p.unitsPerToken > p.capacity)) return { allowed: false, used };
  const after = params.map((p, i) => (op === 'consume' ? used[i]! + cost * p.unitsPerToken : Math.max(0, used[i]! - cost * p.unitsPerToken)));
  const writes = params.map((p, i): BucketState | undefined =>
    after[i]! > 0 ? { used: after[i]!, at: current[i]!.at, unitsPerToken: p.unitsPerToken } : undefined,
  );
  return { allowed: true, used: after, writes };
}

/** Microseconds until a state written now drains to zero (its expiry). */
export function drainMicros(used: number, params: BucketParams): number {
  return Math.ceil(used / params.refillPerMicro);
}

export interface BucketReading {
  /** Whole tokens left. */
  readonly remaining: number;
  /** µs until the bucket is full again. */
  readonly resetAfterMicros: number;
  /** µs until it would admit `cost`; 0 when it admits now. */
  readonly retryAfterMicros: number;
}

/** What a caller is told about one bucket holding `used` units, for a request of `cost`. */
export function readBucket(used: number, params: BucketParams, cost: number): BucketReading {
  const free = params.capacity - used;
  const shortfall = cost * params.unitsPerToken - free;
  return {
    remaining: Math.floor(free / params.unitsPerToken),
    resetAfterMicros: drainMicros(used, params),
    retryAfterMicros: shortfall > 0 ? Math.ceil(shortfall / params.refillPerMicro) : 0,
  };
}
