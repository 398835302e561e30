import { unauthenticated } from '../errors/index.js';
import { looksLikeJwt } from './jwt/index.js';

/** A credential as the caller presented it, routed by its shape. */
export type PresentedCredential =
  | { kind: 'api_key'; value: string }
  | { kind: 'access_token'; value: string };

/** Sent to every caller that presented nothing usable. */
export const MISSING_CREDENTIAL = 'missing credential: send "Authorization: Bearer <api key or access token>" or "x-api-key: <api key>"';

// Far above any key or token we issue (tokens are refused above 8 KiB by their verifier);
// a larger header is refused before anything else looks at it.
const MAX_CREDENTIAL_LENGTH = 16 * 1024;
const BEARER = /^Bearer(?:[ \t]+(\S+))?$/i;

/**
 * The credential of a request: `Authorization: Bearer <api key | JWT>` or `x-api-key: <api key>`.
 * A bearer value shaped like a JWT is an access token, anything else an API key. Both headers
 * with different values is refused rather than guessed at. Messages never repeat a value.
 */
export function presentedCredential(header: Headers): PresentedCredential {
  const authorization = header.get('authorization');
  const apiKeyHeader = header.get('x-api-key');
  let bearer: string | undefined;
  if (authorization !== null && authorization.trim() !== '') {
    const match = BEARER.exec(authorization.trim());
    if (match === null) throw unauthenticated('unsupported Authorization scheme: send "Authorization: Bearer <api key or access token>"');
    bearer = match[1];
    if (bearer === undefined) throw unauthenticated(MISSING_CREDENTIAL);
  }
  const apiKey = apiKeyHeader === null || apiKeyHeader.trim() === '' ? undefined : apiKeyHeader.trim();
  if (bearer !== undefined && apiKey !== undefined && bearer !== apiKey) {
    throw unauthenticated('two different credentials: send either Authorization or x-api-key, not both');
  }
  const value = bearer ?? apiKey;
  if (value === undefined) throw unauthenticated(MISSING_CREDENTIAL);
  if (value.length > MAX_CREDENTIAL_LENGTH) throw unauthenticated('the credential is too long');
  if (bearer !== undefined && looksLikeJwt(bearer)) return { kind: 'access_token', value };
  return { kind: 'api_key', value };
}

/**
 * The caller's source for throttling failed verifications. Only what a gateway in front of the
 * service put in `x-forwarded-for` (first hop); empty otherwise. Connect handlers do not see the
 * peer address, and a client-chosen value could only move it between throttling buckets.
 */
export function credentialSource(header: Headers): string {
  const forwarded = header.get('x-forwarded-for');
  if (forwarded === null) return '';
  const first = forwarded.split(',')[0]!.trim();
  return first.length <= 64 ? first : '';
}
