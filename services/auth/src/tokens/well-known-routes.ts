import type { ServerResponse } from 'node:http';
import type { HttpResponse, HttpRoute } from '@aegis/shared';
import type { SigningKeyRing } from './signing-key-ring.js';

export const JWKS_PATH = '/.well-known/jwks.json';
export const DISCOVERY_PATH = '/.well-known/openid-configuration';

/**
 * The key set and a discovery document, so gateways and services find the issuer and its keys
 * and verify tokens locally (public data: cacheable, readable cross-origin). Only the
 * key-discovery subset of OpenID Provider Metadata is published: Aegis issues access tokens,
 * it does not run an authorization endpoint or issue ID tokens.
 */
export function wellKnownRoutes(keys: SigningKeyRing, opts: { issuer: string; maxAgeMs: number }): Record<string, HttpRoute> {
  const base = opts.issuer.replace(/\/+$/, '');
  const maxAge = Math.floor(opts.maxAgeMs / 1000);
  return {
    [JWKS_PATH]: (_req, res) => sendJson(res, keys.jwks(), maxAge),
    [DISCOVERY_PATH]: (_req, res) => {
      const algorithms = [...new Set(keys.published().map((p) => p.key.algorithm))];
      sendJson(res, {
        issuer: opts.issuer,
        jwks_uri: `${base}${JWKS_PATH}`,
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: algorithms,
        claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'tenant', 'role', 'roles', 'permissions', 'scope', 'sid', 'amr'],
      }, maxAge);
    },
  };
}

function sendJson(res: HttpResponse, body: unknown, maxAgeSeconds: number): void {
  (res as ServerResponse).writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    // Short enough that a pre-published successor key is seen before it signs (see the prepublish setting).
    'cache-control': `public, max-age=${maxAgeSeconds}`,
    'access-control-allow-origin': '*',
    'x-content-type-options': 'nosniff',
  });
  res.end(JSON.stringify(body));
}
