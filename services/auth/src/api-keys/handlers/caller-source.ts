import { credentialSource } from '@aegis/shared';

// Whom to count a failed verification against: the request's `source` (a gateway or another
// service's interceptor passes the end client's address), else the caller's own address as the
// server established it (never a header the client chose; see libs/shared/src/server/client-address.ts).
const MAX_SOURCE_LENGTH = 256;

export function callerSource(requested: string, headers: Headers): string | undefined {
  const named = requested.trim();
  if (named !== '') return named.slice(0, MAX_SOURCE_LENGTH);
  const address = credentialSource(headers);
  return address === '' ? undefined : address;
}
