// A failed call as the operator should read it: one message, the exit code, and for scripts a
// stable code name. Never a stack trace, never the credential.

import { Code, ConnectError } from '@connectrpc/connect';
import { BadRequestSchema } from '@aegis/proto/aegis/common/v1/error_details_pb.js';
import { EXIT } from '../command.js';
import { API_KEY_VARIABLE, urlFlag, urlVariable, type ServiceName } from './connection.js';

export interface Failure {
  exitCode: number;
  /** snake_case Connect code (`permission_denied`), or `usage` / `error` for local problems. */
  code: string;
  message: string;
  violations: { field: string; description: string }[];
}

/** Where the failed call went, for the message. */
export interface CallTarget {
  service: ServiceName;
  url: string;
}

// Invalid input: the request named something wrong. Could not do its work: the server, the
// network or the credential. Aborted (a concurrent change) is neither: the command ran and the
// write did not happen, so it is a failure the caller may retry.
const EXIT_BY_CODE: Partial<Record<Code, number>> = {
  [Code.InvalidArgument]: EXIT.invalidInput,
  [Code.NotFound]: EXIT.invalidInput,
  [Code.AlreadyExists]: EXIT.invalidInput,
  [Code.FailedPrecondition]: EXIT.invalidInput,
  [Code.OutOfRange]: EXIT.invalidInput,
  [Code.Aborted]: EXIT.failed,
};

export function codeName(code: Code): string {
  return Code[code].replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `_${c.toLowerCase()}`));
}

export function describeFailure(err: unknown, target: CallTarget | undefined): Failure {
  if (!(err instanceof ConnectError) && !(err instanceof Error && err.name === 'ConnectError')) {
    return { exitCode: EXIT.unavailable, code: 'error', message: `unexpected error: ${err instanceof Error ? err.message : String(err)}`, violations: [] };
  }
  const error = asUnavailable(ConnectError.from(err));
  const violations = error.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
  const where = target === undefined ? '' : `${target.service} (${target.url}): `;
  return {
    exitCode: EXIT_BY_CODE[error.code] ?? EXIT.unavailable,
    code: codeName(error.code),
    message: `${where}${Code[error.code]}: ${error.rawMessage}${hint(error.code, target)}`,
    violations,
  };
}

function hint(code: Code, target: CallTarget | undefined): string {
  switch (code) {
    case Code.Unavailable:
      return target === undefined ? '' : ` (is the ${target.service} service running there? Set --${urlFlag(target.service)}, ${urlVariable(target.service)} or AEGIS_URL)`;
    case Code.DeadlineExceeded:
      return ' (no answer in time; raise --timeout or check the service)';
    case Code.Unauthenticated:
      return ` (the credential was refused: check ${API_KEY_VARIABLE} or --api-key-file)`;
    case Code.PermissionDenied:
      return ' (the credential lacks this permission in the tenant; ask an admin for a role that grants it)';
    case Code.Aborted:
      return ' (it changed since it was read: someone else wrote it concurrently; read it again and retry)';
    default:
      return '';
  }
}

// Errors of the network layer (refused, no such host) are Unavailable. Connect maps them so
// when it recognises them; when the socket error comes from another realm (a test VM) it
// arrives as Internal, and would read as a server fault.
const NETWORK_ERROR = /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EAI_AGAIN)\b/;

function asUnavailable(error: ConnectError): ConnectError {
  if (error.code !== Code.Internal && error.code !== Code.Unknown) return error;
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const text = `${String(cause?.code ?? '')} ${String(cause?.message ?? '')} ${error.rawMessage}`;
  const match = NETWORK_ERROR.exec(text);
  return match === null ? error : new ConnectError(error.rawMessage.replace(/^Error: /, ''), Code.Unavailable, undefined, undefined, error.cause);
}
