// Whom to count a failed verification against: the request's `source` (the gateway or
// interceptor passes the client's address or its own id), else the address the request says
// it was forwarded for. The runtime does not hand handlers the socket's peer address, so a
// direct caller that names no source is not throttled (see docs/auth/api-keys.md): pooling
// every such caller under one name would let one of them lock all the others out.
const MAX_SOURCE_LENGTH = 256;

export function callerSource(requested: string, headers: Headers): string | undefined {
  const named = requested.trim();
  if (named !== '') return named.slice(0, MAX_SOURCE_LENGTH);
  const forwarded = headers.get('x-forwarded-for')?.split(',')[0]?.trim();
  if (forwarded !== undefined && forwarded !== '') return forwarded.slice(0, MAX_SOURCE_LENGTH);
  const real = headers.get('x-real-ip')?.trim();
  if (real !== undefined && real !== '') return real.slice(0, MAX_SOURCE_LENGTH);
  return undefined;
}
