import { create } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type Interceptor, type UnaryRequest } from '@connectrpc/connect';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { ErrorInfoSchema, RetryInfoSchema } from '@aegis/proto/aegis/common/v1/error_details_pb.js';
import { passesWithoutCredential, principalKey } from '../auth/index.js';
import type { LimitSelectorInit, RateLimitChecker, RateLimitVerdict } from './rate-limit-checker.js';

// The GenXAI plan's `rate_limit` decorator for every RPC of a service (or an SDK client):
// one Check per call, keyed by the caller's principal unless a key function says otherwise,
// answering a denial with ResourceExhausted carrying RetryInfo, ErrorInfo RATE_LIMITED and
// the HTTP headers (Retry-After, RateLimit, RateLimit-Policy). Allowed unary answers carry
// RateLimit and RateLimit-Policy too. Runs after authentication, so the principal is known.

export interface RateLimitTarget {
  tenantId: string;
  key: string;
}

export interface RateLimitInterceptorOptions {
  checker: RateLimitChecker;
  /** Which limits apply; default: the principal's tier. */
  selector?: (req: UnaryRequest, principal: Principal | undefined) => LimitSelectorInit;
  /** Whose bucket; default: the principal (its tenant and id). Undefined = not limited. */
  key?: (req: UnaryRequest, principal: Principal | undefined) => RateLimitTarget | undefined;
  /** Tokens a call costs; default 1. */
  cost?: (req: UnaryRequest) => number;
  /** When the ratelimit service cannot be reached: refuse (default, Unavailable) or let the call through. */
  whenUnreachable?: 'deny' | 'allow';
  /** The `domain` of ErrorInfo; default "ratelimit.aegis". */
  domain?: string;
}

export function principalTarget(_req: UnaryRequest, principal: Principal | undefined): RateLimitTarget | undefined {
  return principal === undefined ? undefined : { tenantId: principal.tenantId, key: principal.id };
}

export function principalTier(_req: UnaryRequest, principal: Principal | undefined): LimitSelectorInit {
  return { tier: principal?.tier ?? 0 };
}

function headersOf(verdict: RateLimitVerdict): Headers {
  const headers = new Headers();
  if (verdict.rateLimit !== '') headers.set('ratelimit', verdict.rateLimit);
  if (verdict.rateLimitPolicy !== '') headers.set('ratelimit-policy', verdict.rateLimitPolicy);
  return headers;
}

export function rateLimitedError(verdict: RateLimitVerdict, domain = 'ratelimit.aegis'): ConnectError {
  const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
  const metadata = headersOf(verdict);
  metadata.set('retry-after', String(seconds));
  return new ConnectError(`rate limit exceeded: retry after ${seconds} s`, Code.ResourceExhausted, metadata, [
    { desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: durationFromMs(verdict.retryAfterMs) }) },
    { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason: 'RATE_LIMITED', domain, metadata: { retry_after_ms: String(verdict.retryAfterMs) } }) },
  ]);
}

export function rateLimitInterceptor(opts: RateLimitInterceptorOptions): Interceptor {
  const selectorOf = opts.selector ?? principalTier;
  const targetOf = opts.key ?? principalTarget;
  return (next) => async (req) => {
    if (req.stream || passesWithoutCredential(req.service, req.method)) return next(req);
    const principal = req.contextValues.get(principalKey);
    const target = targetOf(req, principal);
    if (target === undefined) return next(req);
    let verdict: RateLimitVerdict;
    try {
      verdict = await opts.checker.check({ ...target, cost: opts.cost?.(req) ?? 1, selector: selectorOf(req, principal) }, { signal: req.signal });
    } catch (err) {
      if (opts.whenUnreachable === 'allow') return next(req);
      throw new ConnectError('rate limit could not be checked; retry shortly', Code.Unavailable, undefined, undefined, err);
    }
    if (!verdict.allowed) throw rateLimitedError(verdict, opts.domain);
    const res = await next(req);
    if (!res.stream) headersOf(verdict).forEach((value, name) => res.header.set(name, value));
    return res;
  };
}
