import { MethodOptions_IdempotencyLevel } from '@bufbuild/protobuf/wkt';
import type { DescMethod } from '@bufbuild/protobuf';
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';

/** How Unavailable calls are retried. The call's deadline covers every attempt and every pause. */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 3; 1 turns retries off). */
  maxAttempts: number;
  /** Upper bound of the first pause (default 25 ms); doubles per attempt. */
  initialBackoffMs: number;
  /** Upper bound of any pause (default 500 ms). */
  maxBackoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, initialBackoffMs: 25, maxBackoffMs: 500 };

/** Decides whether sending `message` to `method` twice is harmless. */
export type RetrySafety = (method: DescMethod, message: unknown) => boolean;

// Aegis RPCs whose contract makes a repeat harmless without saying so in an idempotency option:
// decisions and scans change nothing (at most an extra audit line), and the reservation RPCs
// are keyed by request id or reservation id. RateLimitService.Check and Refund are not here:
// a repeat would consume (or give back) tokens twice.
const SAFE_BY_CONTRACT = new Set([
  'aegis.policy.v1.DecisionService/Check',
  'aegis.policy.v1.DecisionService/CheckBatch',
  'aegis.pii.v1.PiiService/Detect',
  'aegis.pii.v1.PiiService/Redact',
  'aegis.pii.v1.PiiService/Mask',
  'aegis.pii.v1.PiiService/Hash',
  'aegis.pii.v1.PiiService/Scan',
  'aegis.billing.v1.ReservationService/ReserveBudget',
  'aegis.billing.v1.ReservationService/CommitReservation',
  'aegis.billing.v1.ReservationService/ReleaseReservation',
  'aegis.ratelimit.v1.LeaseService/ReleaseLease',
  'aegis.auth.v1.ApiKeyService/RevokeApiKey',
  'aegis.auth.v1.ApiKeyService/DisableApiKey',
  'aegis.auth.v1.ApiKeyService/EnableApiKey',
]);

// Calls that carry their own idempotency key: safe only when the caller set it.
const SAFE_WITH_KEY: Record<string, string> = {
  'aegis.billing.v1.UsageService/RecordUsage': 'eventId',
};

/**
 * Safe to repeat: declared NO_SIDE_EFFECTS or IDEMPOTENT in the contract, listed above, or
 * carrying its idempotency key.
 */
export const aegisRetrySafety: RetrySafety = (method, message) => {
  if (method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS || method.idempotency === MethodOptions_IdempotencyLevel.IDEMPOTENT) return true;
  const name = `${method.parent.typeName}/${method.name}`;
  if (SAFE_BY_CONTRACT.has(name)) return true;
  const keyField = SAFE_WITH_KEY[name];
  if (keyField === undefined || typeof message !== 'object' || message === null) return false;
  const key = (message as Record<string, unknown>)[keyField];
  return typeof key === 'string' && key !== '';
};

/** Full jitter (a random pause up to the exponential bound), so callers that failed together do not retry together. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const bound = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (attempt - 1));
  return Math.floor(random() * bound);
}

function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (completed: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(completed);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Retries a unary call that failed with Unavailable (the server did not act, or the connection
 * broke), and only when repeating it is safe. Any other code is an answer and is returned as is.
 * Streaming calls are never retried: part of the stream may already have been consumed.
 */
export function retryInterceptor(policy: RetryPolicy = DEFAULT_RETRY, safety: RetrySafety = aegisRetrySafety): Interceptor {
  return (next) => async (req) => {
    if (req.stream || policy.maxAttempts <= 1 || !safety(req.method, req.message)) return next(req);
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (err) {
        if (ConnectError.from(err).code !== Code.Unavailable || attempt >= policy.maxAttempts) throw err;
        // The deadline (or the caller's cancel) ended the wait: the last answer stands.
        if (!(await pause(backoffMs(policy, attempt), req.signal))) throw err;
      }
    }
  };
}
