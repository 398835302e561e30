// Domain errors. Handlers and domain code throw these; they never construct transport
// errors themselves, so the domain stays free of Connect and the mapping lives in one place.

export type ErrorKind =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'failed_precondition'
  | 'permission_denied'
  | 'unauthenticated'
  | 'resource_exhausted'
  | 'unavailable'
  | 'deadline_exceeded'
  | 'aborted'
  | 'internal';

export interface AegisErrorOptions {
  /** The underlying failure; kept for logs, never sent to a caller. */
  cause?: unknown;
  /** Whether the same call may succeed later; defaults by kind (see RETRYABLE_BY_DEFAULT). */
  retryable?: boolean;
  /** The request field at fault, for invalid_argument. */
  field?: string;
  /**
   * Every offending field with what is wrong with it, for invalid_argument (sent as an
   * `aegis.common.v1.BadRequest` detail). Defaults to `field` with the message.
   */
  violations?: ReadonlyArray<{ field: string; description: string }>;
  /** Sent to the caller as response metadata (headers/trailers), e.g. `retry-after`. */
  metadata?: Record<string, string>;
}

// Transient by nature: the caller can retry the identical request and expect success
// eventually (after a back-off, a quota refill or a concurrent writer finishing).
const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorKind> = new Set<ErrorKind>([
  'resource_exhausted',
  'unavailable',
  'deadline_exceeded',
  'aborted',
]);

export class AegisError extends Error {
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  readonly field?: string;
  readonly violations: ReadonlyArray<{ field: string; description: string }>;
  readonly metadata: Record<string, string>;

  constructor(kind: ErrorKind, message: string, opts: AegisErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AegisError';
    this.kind = kind;
    this.retryable = opts.retryable ?? RETRYABLE_BY_DEFAULT.has(kind);
    if (opts.field !== undefined) this.field = opts.field;
    this.violations = opts.violations ?? (opts.field !== undefined ? [{ field: opts.field, description: message }] : []);
    this.metadata = { ...opts.metadata };
  }
}

export function isAegisError(err: unknown): err is AegisError {
  return err instanceof AegisError;
}
