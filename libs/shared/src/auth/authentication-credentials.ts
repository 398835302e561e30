import { CLIENT_ADDRESS_HEADER } from '../server/client-address.js';
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
 * The caller's address, for throttling failed verifications: what the server established
 * (the socket's peer, or the client behind a trusted proxy; see server/client-address.ts).
 * Empty only for in-memory transports, which have no network peer.
 */
export function credentialSource(header: Headers): string {
  const address = header.get(CLIENT_ADDRESS_HEADER) ?? '';
  return address.length <= 64 ? address : '';
}
