import type { Interceptor } from '@connectrpc/connect';

/**
 * Sends the platform service's own API key on every call, as `Authorization: Bearer`. This is
 * the caller's identity towards Aegis (it needs decision:check, ratelimit:check, lease:acquire,
 * budget:reserve, price:read, usage:record and pii:detect, and credential:watch and dlp:watch for
 * the guard's caches: GUARD_PERMISSIONS); the end user's credential travels
 * in request bodies (VerifyApiKey, IntrospectToken), never in this header.
 */
export function serviceCredentialInterceptor(apiKey: string): Interceptor {
  const value = `Bearer ${apiKey}`;
  return (next) => (req) => {
    req.header.set('authorization', value);
    return next(req);
  };
}
