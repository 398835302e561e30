import { GuardRefusal, GuardServiceError, RateLimitedError } from '../guard/errors.js';
import type { GuardContent, GuardResult } from '../guard/types.js';

/** What an HTTP gateway sends back for a refusal or a service failure. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: { error: Record<string, unknown> };
}

/**
 * The HTTP answer of a guard error: the refusal's status (401, 403, 429, 402, 422) with
 * `Retry-After` (and the RateLimit headers) when waiting helps; 400/503/500 for a service
 * error. Undefined for anything else, e.g. an error thrown by the run itself, which belongs to
 * the application's own error handling.
 */
export function httpAnswerOf(err: unknown): HttpAnswer | undefined {
  if (err instanceof GuardRefusal) {
    const headers: Record<string, string> = {};
    const retryAfterMs = err.retryAfterMs;
    if (retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    if (err instanceof RateLimitedError && err.headers !== undefined) Object.assign(headers, rateLimitHeaders(err.headers));
    if (err.kind === 'unauthenticated') headers['www-authenticate'] = 'Bearer';
    return { status: err.httpStatus, headers, body: { error: err.toJSON() } };
  }
  if (err instanceof GuardServiceError) return { status: err.httpStatus, headers: {}, body: { error: err.toJSON() } };
  return undefined;
}

/** `RateLimit` / `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers) from ratelimit's ready-made values. */
export function rateLimitHeaders(h: { rateLimit: string; rateLimitPolicy: string } | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (h?.rateLimit) out['ratelimit'] = h.rateLimit;
  if (h?.rateLimitPolicy) out['ratelimit-policy'] = h.rateLimitPolicy;
  return out;
}

function contentJson(content: GuardContent): unknown {
  return typeof content === 'string' ? content : content.json;
}

/** The default JSON body of a guarded run: the redacted output, tokens and exact cost (nanos as a string). */
export function resultBody(result: GuardResult): Record<string, unknown> {
  return {
    requestId: result.requestId,
    output: contentJson(result.output),
    usage: {
      promptTokens: Number(result.tokens.promptTokens),
      completionTokens: Number(result.tokens.completionTokens),
      estimated: result.estimated,
    },
    cost: { currencyCode: result.cost.currencyCode, amountNanos: result.cost.amountNanos.toString() },
    pii: {
      input: result.dlp.input.findings.map((f) => f.type),
      output: result.dlp.output.findings.map((f) => f.type),
    },
  };
}
