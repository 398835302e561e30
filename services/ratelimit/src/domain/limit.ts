// A limit as the domain sees it, and the integer parameters of its token bucket.
//
// Exactness: a bucket's level is kept as an integer count of "units" so that refill never
// rounds. One token is `unitsPerToken` units and `refillPerMicro` units flow back each
// microsecond, where unitsPerToken / refillPerMicro = window / quota exactly (the fraction
// reduced by their gcd). Lua numbers are doubles, exact up to 2^53; a limit whose capacity
// in units would pass MAX_EXACT_UNITS is refused when it is defined, not rounded later.

export type FailureBehaviour = 'default' | 'fail_closed' | 'fail_open';

export interface LimitSpec {
  /** 1-63 of [a-z0-9_-]; what RateLimit-Policy names. */
  readonly name: string;
  /** Tokens refilled per window. */
  readonly quota: number;
  readonly windowSeconds: number;
  /** Capacity (burst); never 0 here: 0 on the wire means quota. */
  readonly burst: number;
  readonly failureMode: FailureBehaviour;
}

export interface BucketParams {
  readonly unitsPerToken: number;
  readonly refillPerMicro: number;
  /** burst × unitsPerToken. */
  readonly capacity: number;
}

export const LIMIT_NAME_PATTERN = /^[a-z0-9_-]{1,63}$/;
export const MIN_WINDOW_SECONDS = 1;
export const MAX_WINDOW_SECONDS = 31 * 24 * 3600;
/** Quota and burst above this are refused: far beyond any real limit, and it keeps the maths exact. */
export const MAX_TOKENS = 1_000_000_000_000;
/** 2^50: leaves headroom below 2^53 for `used + cost` before a comparison. */
export const MAX_EXACT_UNITS = 2 ** 50;

const MICROS_PER_SECOND = 1_000_000;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export function bucketParams(limit: Pick<LimitSpec, 'quota' | 'windowSeconds' | 'burst'>): BucketParams {
  const windowMicros = limit.windowSeconds * MICROS_PER_SECOND;
  const divisor = gcd(limit.quota, windowMicros);
  const unitsPerToken = windowMicros / divisor;
  return { unitsPerToken, refillPerMicro: limit.quota / divisor, capacity: limit.burst * unitsPerToken };
}

/** Why a limit is not acceptable, or undefined; `field` prefixes the violation's path. */
export interface LimitViolation {
  field: string;
  description: string;
}

export function limitViolations(limit: LimitSpec, field: string): LimitViolation[] {
  const out: LimitViolation[] = [];
  if (!LIMIT_NAME_PATTERN.test(limit.name)) out.push({ field: `${field}.name`, description: 'must be 1-63 of a-z, 0-9, "_" or "-"' });
  if (!Number.isSafeInteger(limit.quota) || limit.quota < 1 || limit.quota > MAX_TOKENS) {
    out.push({ field: `${field}.quota`, description: `must be a whole number from 1 to ${MAX_TOKENS}` });
  }
  if (!Number.isInteger(limit.windowSeconds) || limit.windowSeconds < MIN_WINDOW_SECONDS || limit.windowSeconds > MAX_WINDOW_SECONDS) {
    out.push({ field: `${field}.window`, description: 'must be whole seconds from 1 s to 31 days' });
  }
  if (!Number.isSafeInteger(limit.burst) || limit.burst < 1 || limit.burst > MAX_TOKENS) {
    out.push({ field: `${field}.burst`, description: `must be 0 (= quota) or a whole number up to ${MAX_TOKENS}` });
  }
  if (out.length === 0 && bucketParams(limit).capacity > MAX_EXACT_UNITS) {
    out.push({ field: `${field}.burst`, description: 'with this quota and window the bucket cannot be kept exact: lower burst, or use a quota that divides the window more evenly' });
  }
  return out;
}

/** Duplicate names among the limits of one definition. */
export function duplicateNameViolations(limits: readonly LimitSpec[], field: string): LimitViolation[] {
  const seen = new Set<string>();
  const out: LimitViolation[] = [];
  limits.forEach((limit, i) => {
    if (seen.has(limit.name)) out.push({ field: `${field}[${i}].name`, description: 'must be unique among the limits' });
    seen.add(limit.name);
  });
  return out;
}
