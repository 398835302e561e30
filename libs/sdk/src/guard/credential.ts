import { UnauthenticatedError } from './errors.js';

/** A credential by its shape: Aegis access tokens are JWTs, anything else is taken as an API key. */
export type EndUserCredential = { kind: 'api_key' | 'access_token'; value: string };

// Far above any key or token Aegis issues; longer values are refused without a round trip.
const MAX_CREDENTIAL_LENGTH = 16 * 1024;
const BEARER = /^Bearer[ \t]+(\S+)$/i;
const JWT = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The end user's credential from HTTP headers: `Authorization: Bearer <key or JWT>`, else
 * `x-api-key`. Accepts fetch `Headers` and Node's `IncomingHttpHeaders` (Express, Fastify).
 */
export function credentialFromHeaders(headers: HeaderBag): string | undefined {
  const authorization = header(headers, 'authorization')?.trim();
  if (authorization !== undefined && authorization !== '') return authorization;
  const apiKey = header(headers, 'x-api-key')?.trim();
  return apiKey === '' ? undefined : apiKey;
}

/** Parses what GuardRequest.credential holds; refusals never repeat the value. */
export function parseCredential(raw: string | undefined): EndUserCredential {
  const trimmed = raw?.trim() ?? '';
  if (trimmed === '') throw new UnauthenticatedError('missing', 'missing credential: send "Authorization: Bearer <api key or access token>" or "x-api-key: <api key>"');
  let value = trimmed;
  if (/^bearer\b/i.test(trimmed)) {
    const match = BEARER.exec(trimmed);
    if (match === null) throw new UnauthenticatedError('missing', 'missing credential after "Bearer"');
    value = match[1]!;
  } else if (/\s/.test(trimmed)) {
    throw new UnauthenticatedError('invalid', 'unsupported Authorization scheme: send "Authorization: Bearer <api key or access token>"');
  }
  if (value.length > MAX_CREDENTIAL_LENGTH) throw new UnauthenticatedError('invalid', 'the credential is too long');
  return { kind: JWT.test(value) ? 'access_token' : 'api_key', value };
}
