// What never reaches a log line. Two mechanisms, because secrets arrive in two shapes:
// as object fields (headers, request bodies, config objects), handled by pino's `redact`,
// and embedded in strings (connection URLs), handled by `redactUrl` at the call site.

export const REDACTED = '[REDACTED]';

// Field names that carry credentials. HTTP header names are lowercase because Node
// lowercases incoming headers; camelCase and snake_case cover our own objects.
export const SECRET_FIELD_NAMES: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'cookie',
  'set-cookie',
  'password',
  'secret',
  'token',
  'accessToken',
  'apiKey',
  'api_key',
  'refreshToken',
  'clientSecret',
  'privateKey',
  'pepper',
];

// pino paths need bracket syntax for names that are not identifiers (x-api-key).
function pathSegment(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `["${name}"]`;
}

/**
 * Redaction paths for every secret field at the top level, one level deep (`*.password`)
 * and two levels deep (`req.headers.authorization` via `*.*.authorization`). Deeper
 * wildcards are not added: each one multiplies the work pino does on every log call,
 * and log payloads in Aegis are shallow by convention.
 */
export function secretRedactionPaths(names: readonly string[] = SECRET_FIELD_NAMES): string[] {
  return names.flatMap((name) => {
    const segment = pathSegment(name);
    return [segment.startsWith('.') ? segment.slice(1) : segment, `*${segment}`, `*.*${segment}`];
  });
}

// "scheme://user:password@": the user name cannot contain ":", "/", "?", "#" or "@", and
// the password runs to the next "@". RFC 3986 wants "/" and friends percent-encoded inside
// a password, but people paste raw ones; when in doubt this masks too much, never too little.
const URL_PASSWORD = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^:/?#@\s]*):[^@\s]*@/;
// Drivers also accept credentials as query parameters (postgres://h/db?password=x).
const SECRET_QUERY_PARAM = /([?&](?:password|pass|secret|token|api_key|apikey|sslkey)=)[^&#]*/gi;

/**
 * Masks the password of a connection URL so it can be logged or shown in an error:
 * `postgres://u:pw@h/db` becomes `postgres://u:***@h/db`. Works on multi-host URLs
 * (`redis+cluster://:pw@h1:7000,h2:7001`) that the WHATWG URL parser rejects, which is
 * why this is string surgery rather than `new URL()`. Strings that are not URLs come back
 * unchanged.
 */
export function redactUrl(url: string): string {
  const masked = url.replace(URL_PASSWORD, '$1:***@');
  return masked.replace(SECRET_QUERY_PARAM, '$1***');
}
