// A JWS in compact form: three base64url parts, the first one a JSON object ("{" encodes as
// "ey"). API keys (`genxai_live_...`) never contain a dot, so the two never collide.
const COMPACT_JWS = /^ey[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Whether a presented credential is shaped like a JWT, so an interceptor can route it to the
 * local verifier instead of the API-key path. A shape test only: nothing is decoded or trusted.
 */
export function looksLikeJwt(credential: string): boolean {
  return COMPACT_JWS.test(credential);
}
