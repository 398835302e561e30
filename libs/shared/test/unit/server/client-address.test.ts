import type { HttpRequest } from '../../../src/server/http-routes.js';
import { CLIENT_ADDRESS_HEADER, clientAddress, fromTrustedPeer, TRUSTED_PEER_HEADER } from '../../../src/server/index.js';
import { stampClientAddress } from '../../../src/server/client-address.js';

function request(peer: string, headers: Record<string, string> = {}): HttpRequest {
  return { socket: { remoteAddress: peer }, headers: { ...headers } } as unknown as HttpRequest;
}

const proxies = new Set(['10.0.0.2', '10.0.0.3']);

test('without trusted proxies the socket peer is the client, whatever X-Forwarded-For says', () => {
  expect(clientAddress(request('203.0.113.7', { 'x-forwarded-for': '1.2.3.4' }), new Set())).toBe('203.0.113.7');
  expect(clientAddress(request('::ffff:203.0.113.7'), new Set())).toBe('203.0.113.7');
});

test('behind trusted proxies the right-most untrusted hop is the client; forged left-most hops are ignored', () => {
  expect(clientAddress(request('10.0.0.2', { 'x-forwarded-for': '6.6.6.6, 198.51.100.9' }), proxies)).toBe('198.51.100.9');
  expect(clientAddress(request('10.0.0.2', { 'x-forwarded-for': '198.51.100.9, 10.0.0.3' }), proxies)).toBe('198.51.100.9');
  expect(clientAddress(request('10.0.0.2'), proxies)).toBe('10.0.0.2');
  expect(clientAddress(request('10.0.0.2', { 'x-forwarded-for': 'garbage' }), proxies)).toBe('10.0.0.2');
});

test('the server overwrites the client-address and trusted-peer headers a client sent', () => {
  const req = request('203.0.113.7', { [CLIENT_ADDRESS_HEADER]: '127.0.0.1', [TRUSTED_PEER_HEADER]: 'true' });
  stampClientAddress(req, new Set());
  expect(req.headers[CLIENT_ADDRESS_HEADER]).toBe('203.0.113.7');
  expect(fromTrustedPeer(new Headers(req.headers as Record<string, string>))).toBe(false);
  const viaProxy = request('10.0.0.2', { 'x-forwarded-for': '198.51.100.9' });
  stampClientAddress(viaProxy, proxies);
  expect(fromTrustedPeer(new Headers(viaProxy.headers as Record<string, string>))).toBe(true);
});
