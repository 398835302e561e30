import { AegisError } from './aegis-error.js';

// One small constructor per kind so call sites read as the outcome
// (`throw notFound('api key', id)`) and messages are phrased the same way everywhere.
// Messages are sent to callers: never put secrets or raw input values in them.

/** The message names the field so a client can tell which input to fix. */
export function invalidArgument(field: string, message: string): AegisError {
  return new AegisError('invalid_argument', `${field}: ${message}`, { field, violations: [{ field, description: message }] });
}

export function notFound(what: string, id?: string): AegisError {
  return new AegisError('not_found', id === undefined ? `${what} not found` : `${what} ${id} not found`);
}

export function alreadyExists(what: string, id?: string): AegisError {
  return new AegisError('already_exists', id === undefined ? `${what} already exists` : `${what} ${id} already exists`);
}

export function failedPrecondition(message: string): AegisError {
  return new AegisError('failed_precondition', message);
}

export function permissionDenied(message = 'permission denied'): AegisError {
  return new AegisError('permission_denied', message);
}

export function unauthenticated(message = 'unauthenticated'): AegisError {
  return new AegisError('unauthenticated', message);
}

/** HTTP `retry-after` is whole seconds; rounding up keeps clients from retrying too early. */
function retryAfterMetadata(retryAfterMs: number | undefined): Record<string, string> | undefined {
  if (retryAfterMs === undefined) return undefined;
  return { 'retry-after': String(Math.max(0, Math.ceil(retryAfterMs / 1000))) };
}

export function resourceExhausted(message: string, opts: { retryAfterMs?: number } = {}): AegisError {
  const metadata = retryAfterMetadata(opts.retryAfterMs);
  return new AegisError('resource_exhausted', message, metadata ? { metadata } : {});
}

/** A dependency (database, Redis, Kafka) is down; the cause is logged, not sent. */
export function unavailable(message: string, opts: { cause?: unknown; retryAfterMs?: number } = {}): AegisError {
  const metadata = retryAfterMetadata(opts.retryAfterMs);
  return new AegisError('unavailable', message, { cause: opts.cause, ...(metadata ? { metadata } : {}) });
}

export function deadlineExceeded(message: string): AegisError {
  return new AegisError('deadline_exceeded', message);
}

/** A concurrent change won (optimistic concurrency, serialization failure): retry the whole operation. */
export function aborted(message: string, cause?: unknown): AegisError {
  return new AegisError('aborted', message, { cause });
}

/** A bug or broken invariant on our side, described in words that are safe for the caller. */
export function internal(message: string, cause?: unknown): AegisError {
  return new AegisError('internal', message, { cause });
}
