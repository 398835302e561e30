import type { CheckResponse } from '@aegis/proto/aegis/ratelimit/v1/rate_limit_service_pb.js';

/** A rate-limit bucket as guard checks it: whose, and what one request takes from it. */
export interface Bucket {
  tenantId: string;
  key: string;
  cost: bigint;
}

export interface AdmissionHeadroomOptions {
  /** How long an answer is trusted for the guess (default 2 s). */
  maxAgeMs?: number;
  /** Requests' worth of room the last answer must have left (default 4). */
  margin?: bigint;
  /** Buckets remembered (default 10 000; the oldest go first). */
  maxEntries?: number;
  now?: () => number;
}

/**
 * Decides whether guard may ask the rate limiter, billing and pii at once instead of the limiter
 * first. Running them together takes two round trips off a guarded call, but a request the
 * limiter then refuses has already held budget and had its input scanned; under a flood that
 * would pass the load the limiter exists to stop on to billing and pii. So the three run together
 * only while the bucket's last answer, recent enough, left room for several more requests; once a
 * bucket runs low or refuses, its requests go through the limiter first again.
 */
export class AdmissionHeadroom {
  readonly #entries = new Map<string, { roomFor: bigint; at: number }>();
  readonly #maxAgeMs: number;
  readonly #margin: bigint;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(opts: AdmissionHeadroomOptions = {}) {
    this.#maxAgeMs = opts.maxAgeMs ?? 2000;
    this.#margin = opts.margin ?? 4n;
    this.#maxEntries = opts.maxEntries ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  /** True when the limiter very probably admits `bucket` now, from its last answer for it. */
  likelyAdmits(bucket: Bucket): boolean {
    const entry = this.#entries.get(keyOf(bucket));
    if (entry === undefined || this.#now() - entry.at > this.#maxAgeMs) return false;
    return entry.roomFor >= this.#margin;
  }

  /** Remembers an answer of RateLimitService.Check for `bucket`. */
  observe(bucket: Bucket, res: Pick<CheckResponse, 'allowed' | 'limits' | 'degraded'>): void {
    const id = keyOf(bucket);
    this.#entries.delete(id);
    // A degraded answer says nothing about the shared bucket.
    if (!res.allowed || res.degraded || res.limits.length === 0) return;
    const cost = bucket.cost > 0n ? bucket.cost : 1n;
    let roomFor: bigint | undefined;
    for (const limit of res.limits) {
      const room = limit.remaining / cost;
      if (roomFor === undefined || room < roomFor) roomFor = room;
    }
    this.#entries.set(id, { roomFor: roomFor ?? 0n, at: this.#now() });
    if (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }
}

function keyOf(bucket: Bucket): string {
  return `${bucket.tenantId.length}:${bucket.tenantId}${bucket.key}`;
}
