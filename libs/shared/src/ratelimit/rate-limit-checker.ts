import { createClient, type Transport } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { LimitSelectorSchema } from '@aegis/proto/aegis/ratelimit/v1/limit_pb.js';
import { RateLimitService } from '@aegis/proto/aegis/ratelimit/v1/rate_limit_service_pb.js';

// What the rate_limit interceptor (and the SDK) needs from the ratelimit service: one Check.
// Transport-agnostic: over the network with `remoteRateLimitChecker`, or any function in tests.

export type LimitSelectorInit = MessageInitShape<typeof LimitSelectorSchema>;

export interface RateLimitQuery {
  tenantId: string;
  key: string;
  /** Tokens to take (1 when omitted). */
  cost?: number | bigint;
  selector: LimitSelectorInit;
}

export interface RateLimitVerdict {
  allowed: boolean;
  /** Until a retry can succeed; 0 when allowed. */
  retryAfterMs: number;
  /** Ready-to-send header values (IETF RateLimit, RateLimit-Policy). */
  rateLimit: string;
  rateLimitPolicy: string;
  degraded: boolean;
}

export interface RateLimitChecker {
  check(query: RateLimitQuery, opts?: { signal?: AbortSignal }): Promise<RateLimitVerdict>;
}

/** RateLimitService.Check over `transport` (the caller's credentials ride on the transport's interceptors). */
export function remoteRateLimitChecker(transport: Transport, opts: { timeoutMs?: number } = {}): RateLimitChecker {
  const client = createClient(RateLimitService, transport);
  return {
    async check(query, callOpts = {}) {
      const res = await client.check(
        { tenantId: query.tenantId, key: query.key, cost: BigInt(query.cost ?? 1), selector: query.selector },
        { ...(callOpts.signal !== undefined ? { signal: callOpts.signal } : {}), timeoutMs: opts.timeoutMs ?? 1_000 },
      );
      const retry = res.retryAfter;
      return {
        allowed: res.allowed,
        retryAfterMs: retry === undefined ? 0 : Number(retry.seconds) * 1000 + Math.ceil(retry.nanos / 1e6),
        rateLimit: res.headers?.rateLimit ?? '',
        rateLimitPolicy: res.headers?.rateLimitPolicy ?? '',
        degraded: res.degraded,
      };
    },
  };
}
