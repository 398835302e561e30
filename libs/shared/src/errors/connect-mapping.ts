import { Code, ConnectError } from '@connectrpc/connect';
import { BadRequestSchema } from '@aegis/proto/aegis/common/v1/error_details_pb.js';
import type { Logger } from '../logging/index.js';
import { AegisError, type ErrorKind } from './aegis-error.js';

export const CODE_FOR_KIND: Readonly<Record<ErrorKind, Code>> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  permission_denied: Code.PermissionDenied,
  unauthenticated: Code.Unauthenticated,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  deadline_exceeded: Code.DeadlineExceeded,
  aborted: Code.Aborted,
  internal: Code.Internal,
};

export const INTERNAL_ERROR_MESSAGE = 'internal error';

// An invalid header name in metadata must not turn error mapping itself into a crash;
// such entries are dropped (they could not have been sent anyway).
function toHeaders(metadata: Record<string, string>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(metadata)) {
    try {
      headers.set(name, value);
    } catch {
      // skipped: not a valid HTTP header name or value
    }
  }
  return headers;
}

function fromAegisError(err: AegisError, logger: Logger | undefined): ConnectError {
  // An `internal` AegisError is still our bug: its message was written for the caller,
  // but the operator needs the cause and stack.
  if (err.kind === 'internal') logger?.error({ err }, 'internal error returned to caller');
  // The AegisError itself becomes the cause, so kind, retryable and the original cause
  // all stay available to server-side logging; Connect never serialises `cause`.
  // InvalidArgument carries the offending fields machine-readably (docs/contracts.md), so a
  // client can point at them without parsing the message.
  const details = err.kind === 'invalid_argument' && err.violations.length > 0
    ? [{ desc: BadRequestSchema, value: { fieldViolations: err.violations.map((v) => ({ field: v.field, description: v.description })) } }]
    : undefined;
  return new ConnectError(err.message, CODE_FOR_KIND[err.kind], toHeaders(err.metadata), details, err);
}

/**
 * The single translation from anything a handler throws to what a caller sees.
 *
 * Unknown errors (TypeError, pg and ioredis errors, ...) are flattened to
 * `Internal: internal error`: their messages carry SQL, table names, hostnames, sometimes
 * connection strings. Connect's own server handler flattens them the same way but logs
 * nothing, so without this the one clue to a 500 would be lost; here the original goes to
 * the log with its stack, and stays on `cause`, which Connect never sends. (Used in a
 * client transport, ConnectError.from would instead copy the raw message.)
 */
export function toConnectError(err: unknown, logger?: Logger): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof AegisError) return fromAegisError(err, logger);
  // Cancellation and timeouts raised through AbortSignal are the caller going away or a
  // deadline passing, not server faults: map them like Connect does, without the noise.
  if (err instanceof Error && err.name === 'AbortError') {
    logger?.debug({ err }, 'operation canceled');
    return new ConnectError('operation canceled', Code.Canceled, undefined, undefined, err);
  }
  if (err instanceof Error && err.name === 'TimeoutError') {
    logger?.debug({ err }, 'operation timed out');
    return new ConnectError('deadline exceeded', Code.DeadlineExceeded, undefined, undefined, err);
  }
  logger?.error({ err }, 'unexpected error mapped to internal');
  return new ConnectError(INTERNAL_ERROR_MESSAGE, Code.Internal, undefined, undefined, err);
}
