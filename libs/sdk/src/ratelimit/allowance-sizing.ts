import { create } from '@bufbuild/protobuf';
import { RateLimitHeadersSchema, type LimitStatus, type RateLimitHeaders } from '@aegis/proto/aegis/ratelimit/v1/limit_pb.js';

// The arithmetic of rate-limit allowances, without timers or RPCs: how fast a bucket is used
// here, how much to take ahead, and the headers of a request answered from what was taken.

/**
 * Units per second this process takes from one bucket: an exponentially decaying sum, so a
 * steady stream of `r` units a second reads `r` after a few time constants and an idle bucket
 * fades to zero. It starts at zero and ramps up (it under-estimates a new stream, never over).
 */
export class UsageRate {
  #perSecond = 0;
  #at: number;

  constructor(now: number, private readonly timeConstantMs = 1000) {
    this.#at = now;
  }

  add(units: bigint, now: number): void {
    this.#perSecond = this.at(now) + Number(units) * (1000 / this.timeConstantMs);
    this.#at = Math.max(this.#at, now);
  }

  /** The rate at `now`. */
  at(now: number): number {
    const elapsed = Math.max(0, now - this.#at);
    return this.#perSecond * Math.exp(-elapsed / this.timeConstantMs);
  }
}

export interface TopUpInput {
  /** Units a second this process takes from the bucket. */
  ratePerSecond: number;
  /** Average cost of a request of the bucket. */
  averageCost: number;
  /** Units held here, unspent. */
  balance: bigint;
  /** The smallest `remaining` of the limiter's last answer over the selected limits. */
  room: bigint;
  /** The smallest burst of those limits (a Check may not cost more). */
  minBurst: bigint;
}

export interface TopUpPolicy {
  /** A top-up covers about this long of this process's use. */
  horizonMs: number;
  /** ... and at most this share of the room the last answer left. */
  shareOfRoom: number;
}

/** Requests' worth a top-up must cover to be worth a Check of its own. */
const MIN_REQUESTS_PER_TOP_UP = 2;

/**
 * Units to take ahead now (0n: none). Only while the balance has fallen under half a horizon
 * of use, and never more than a small share of the room left, so a bucket near its limit is
 * not emptied into one process; a top-up smaller than two requests is not worth its Check.
 */
export function topUpUnits(input: TopUpInput, policy: TopUpPolicy): bigint {
  const cost = Math.max(1, input.averageCost);
  const want = Math.ceil((input.ratePerSecond * policy.horizonMs) / 1000);
  const lowWater = Math.max(cost, want / 2);
  if (Number(input.balance) >= lowWater) return 0n;
  const byRoom = Math.floor(Number(input.room) * policy.shareOfRoom);
  const byBurst = Number(input.minBurst - input.balance);
  const units = Math.min(want, byRoom, byBurst);
  return units >= MIN_REQUESTS_PER_TOP_UP * cost ? BigInt(Math.floor(units)) : 0n;
}

/** The smallest remaining room and burst of a Check answer's limits. */
export function roomOf(limits: readonly LimitStatus[]): { room: bigint; minBurst: bigint } | undefined {
  if (limits.length === 0) return undefined;
  let room = limits[0]!.remaining;
  let minBurst = limits[0]!.burst;
  for (const limit of limits) {
    if (limit.remaining < room) room = limit.remaining;
    if (limit.burst < minBurst) minBurst = limit.burst;
  }
  return { room, minBurst };
}

/**
 * Headers for a request answered from the allowance: the last answer's, with the `RateLimit`
 * limit's `r` counting what this process still holds (taken from the bucket, so no longer in
 * the limiter's `remaining`, but still this key's to use). `t` and the policy are the answer's.
 */
export function localHeaders(last: RateLimitHeaders | undefined, limits: readonly LimitStatus[], balance: bigint): RateLimitHeaders {
  if (last === undefined) return create(RateLimitHeadersSchema, {});
  const name = /^"([^"]*)"/.exec(last.rateLimit)?.[1];
  const limit = name === undefined ? undefined : limits.find((l) => l.name === name);
  const rateLimit = limit === undefined ? last.rateLimit : last.rateLimit.replace(/;r=\d+/, `;r=${limit.remaining + balance}`);
  return create(RateLimitHeadersSchema, { rateLimit, rateLimitPolicy: last.rateLimitPolicy, retryAfterSeconds: 0n });
}
