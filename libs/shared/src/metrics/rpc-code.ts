import { Code, ConnectError } from '@connectrpc/connect';
import { STREAM_CANCELLED } from '../server/stream-end.js';

/**
 * The code label of an RPC outcome, in the snake_case spelling of the Connect protocol
 * (`not_found`, `resource_exhausted`), `ok` for success: the same words a caller sees
 * in a Connect error body, so dashboards and client logs agree.
 */
export function rpcCodeLabel(err: unknown): string {
  if (err === undefined) return 'ok';
  if (err === STREAM_CANCELLED) return 'canceled';
  const name = Code[ConnectError.from(err).code];
  return name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}
