import { isIP } from 'node:net';
import type { HttpRequest } from './http-routes.js';

/**
 * The header in which the server hands handlers the caller's address. Set by the server on
 * every request, after removing any value the client sent, so it cannot be forged.
 */
export const CLIENT_ADDRESS_HEADER = 'x-aegis-client-address';

/** "true" when the request came straight from a trusted proxy (whose own claims, e.g. a `source` field, may be believed). */
export const TRUSTED_PEER_HEADER = 'x-aegis-trusted-peer';

/**
 * The caller's address: the socket's peer, or — when that peer is a proxy the operator trusts
 * (AEGIS_TRUSTED_PROXIES) — the right-most `X-Forwarded-For` hop that is not itself a trusted
 * proxy. Left-most hops are whatever the client wrote, so they are never believed.
 */
export function clientAddress(req: HttpRequest, trustedProxies: ReadonlySet<string>): string {
  const peer = normalise(req.socket?.remoteAddress ?? '');
  if (!trustedProxies.has(peer)) return peer;
  const forwarded = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded ?? '').split(',').map((h) => normalise(h.trim()));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) return peer;
    if (!trustedProxies.has(hop)) return hop;
  }
  return peer;
}

/** Rewrites the request's client-address header in place (Connect reads headers from the request). */
export function stampClientAddress(req: HttpRequest, trustedProxies: ReadonlySet<string>): void {
  req.headers[CLIENT_ADDRESS_HEADER] = clientAddress(req, trustedProxies);
  req.headers[TRUSTED_PEER_HEADER] = String(trustedProxies.has(normalise(req.socket?.remoteAddress ?? '')));
}

/** Whether the server marked the request as coming straight from a trusted proxy. */
export function fromTrustedPeer(headers: Headers): boolean {
  return headers.get(TRUSTED_PEER_HEADER) === 'true';
}

// IPv4 peers on a dual-stack socket appear as ::ffff:a.b.c.d.
function normalise(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
