import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { headerValues, type LimitOutcome } from '../domain/index.js';
import { statusToProto } from '../mapping/limits.js';

/** The parts every RateLimitService answer shares: statuses, headers, the longest wait. */
export function answerParts(outcomes: readonly LimitOutcome[]) {
  const headers = headerValues(outcomes);
  const retryMicros = Math.max(0, ...outcomes.filter((o) => !o.allowed).map((o) => o.reading.retryAfterMicros));
  return {
    limits: outcomes.map(statusToProto),
    headers: { rateLimit: headers.rateLimit, rateLimitPolicy: headers.rateLimitPolicy, retryAfterSeconds: BigInt(headers.retryAfterSeconds) },
    retryAfter: durationFromMs(Math.ceil(retryMicros / 1000)),
  };
}
