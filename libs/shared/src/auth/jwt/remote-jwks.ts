import { errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { localKeySet } from './local-key-set.js';

/** The key set could not be fetched (network, status, body): the token is not at fault, so verifiers answer Unavailable. */
export class KeySetUnavailableError extends Error {}

export interface RemoteJwksOptions {
  /**
   * Least time between two fetches (default 5 s). A token with an unknown `kid` triggers a
   * fetch (a key may have been rotated in), so this bounds what a flood of forged kids costs
   * the auth service: one request per cooldown per process.
   */
  cooldownMs?: number;
  /** Age after which the set is refreshed in the background (default 5 min, the JWKS endpoint's max-age). */
  cacheMaxAgeMs?: number;
  /** Per fetch (default 5 s). */
  timeoutMs?: number;
}

const DEFAULT_COOLDOWN_MS = 5_000;
const DEFAULT_CACHE_MAX_AGE_MS = 300_000;
const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * A key resolver over a JWKS URL (normally auth's `/.well-known/jwks.json`). Unlike jose's
 * `createRemoteJWKSet`, an expired cache is refreshed in the background while the set we
 * have keeps verifying, and a failed refresh keeps the last good set: an auth outage must
 * not turn every valid token in the platform into a rejection. Only the very first fetch is
 * waited for. Keys are chosen by the token's `kid` and `alg`, only among this set's keys.
 */
export function remoteJwks(url: string, opts: RemoteJwksOptions = {}): JWTVerifyGetKey {
  const href = new URL(url).href;
  const cooldownMs = opts.cooldownMs ?? DEFAULT_COOLDOWN_MS;
  const cacheMaxAgeMs = opts.cacheMaxAgeMs ?? DEFAULT_CACHE_MAX_AGE_MS;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let current: { resolve: JWTVerifyGetKey; fetchedAt: number } | undefined;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<void> | undefined;

  const refresh = (): Promise<void> => {
    pending ??= (async () => {
      lastAttemptAt = Date.now();
      try {
        current = { resolve: localKeySet(await fetchKeySet(href, timeoutMs)), fetchedAt: Date.now() };
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };
  const coolingDown = (): boolean => Date.now() - lastAttemptAt < cooldownMs;

  return async (header, token) => {
    if (current === undefined) {
      await refresh();
    } else if (Date.now() - current.fetchedAt > cacheMaxAgeMs && !coolingDown()) {
      // Nobody waits for it; a failure keeps the current set until the next attempt.
      refresh().catch(() => undefined);
    }
    try {
      return await current!.resolve(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || coolingDown()) throw err;
      // A key rotated in since the last fetch; unknown afterwards means unknown.
      await refresh();
      return current!.resolve(header, token);
    }
  };
}

async function fetchKeySet(href: string, timeoutMs: number): Promise<JSONWebKeySet> {
  let response: Response;
  try {
    // No redirects: the key set comes from the configured URL or from nowhere.
    response = await fetch(href, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
  } catch (cause) {
    throw new KeySetUnavailableError('the JWKS endpoint is unreachable', { cause });
  }
  if (response.status !== 200) throw new KeySetUnavailableError(`the JWKS endpoint answered HTTP ${response.status}`);
  let body: unknown;
  try {
    body = await response.json();
  } catch (cause) {
    throw new KeySetUnavailableError('the JWKS endpoint answered something other than JSON', { cause });
  }
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { keys?: unknown }).keys) || !(body as { keys: unknown[] }).keys.every((k) => typeof k === 'object' && k !== null)) {
    throw new KeySetUnavailableError('the JWKS endpoint answered JSON without a "keys" list');
  }
  return body as JSONWebKeySet;
}
