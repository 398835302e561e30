import type { LimitSpec } from './limit.js';
import type { BucketReading } from './token-bucket.js';

// Header values of draft-ietf-httpapi-ratelimit-headers, computed once here so every gateway
// sends the same thing: `RateLimit: "name";r=<remaining>;t=<seconds to full>` for the limit
// that matters most, `RateLimit-Policy` listing every limit, and `Retry-After` in seconds.

export interface LimitOutcome {
  readonly limit: LimitSpec;
  readonly reading: BucketReading;
  readonly allowed: boolean;
}

export interface HeaderValues {
  readonly rateLimit: string;
  readonly rateLimitPolicy: string;
  readonly retryAfterSeconds: number;
}

const secondsUp = (micros: number): number => Math.ceil(micros / 1_000_000);

/** The limit a caller should look at: the denying one with the longest wait, else the one with the smallest share left. */
export function decisiveLimit(outcomes: readonly LimitOutcome[]): LimitOutcome | undefined {
  let best: LimitOutcome | undefined;
  for (const o of outcomes) {
    if (best === undefined) {
      best = o;
    } else if (!o.allowed || !best.allowed) {
      if (!o.allowed && (best.allowed || o.reading.retryAfterMicros > best.reading.retryAfterMicros)) best = o;
    } else if (o.reading.remaining * best.limit.burst < best.reading.remaining * o.limit.burst) {
      best = o;
    }
  }
  return best;
}

export function headerValues(outcomes: readonly LimitOutcome[]): HeaderValues {
  const decisive = decisiveLimit(outcomes);
  const retryMicros = Math.max(0, ...outcomes.filter((o) => !o.allowed).map((o) => o.reading.retryAfterMicros));
  return {
    rateLimit: decisive === undefined ? '' : `"${decisive.limit.name}";r=${decisive.reading.remaining};t=${secondsUp(decisive.reading.resetAfterMicros)}`,
    rateLimitPolicy: outcomes.map((o) => `"${o.limit.name}";q=${o.limit.quota};w=${o.limit.windowSeconds}`).join(', '),
    retryAfterSeconds: secondsUp(retryMicros),
  };
}
