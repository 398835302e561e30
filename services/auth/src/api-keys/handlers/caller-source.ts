import { credentialSource, fromTrustedPeer } from '@aegis/shared';

// Whom to count a failed verification against. The request's `source` is believed only from a
// trusted proxy (a gateway or another Aegis service's interceptor passing its client's address):
// from anyone else it would let one caller spread its failures over invented names. Otherwise
// the caller's own address as the server established it (libs/shared/src/server/client-address.ts).
const MAX_SOURCE_LENGTH = 256;

export function callerSource(requested: string, headers: Headers): string | undefined {
  const named = requested.trim();
  if (named !== '' && fromTrustedPeer(headers)) return named.slice(0, MAX_SOURCE_LENGTH);
  const address = credentialSource(headers);
  if (address !== '') return address;
  // In-memory transports (tests, the auth service verifying its own callers) have no peer.
  return named === '' ? undefined : named.slice(0, MAX_SOURCE_LENGTH);
}
