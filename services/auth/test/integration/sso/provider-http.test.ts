// The outbound HTTP client every provider request uses, against real local servers: deadline,
// redirects only within the origin, a size cap, and failures mapped to Unavailable or
// FailedPrecondition with messages that carry no secret. Also the discovery and JWKS caches.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AegisError } from '@aegis/shared';
import { DiscoveryCache } from '../../../src/sso/adapters/http/discovery.js';
import { JwksCache } from '../../../src/sso/adapters/http/jwks-cache.js';
import { ProviderHttp } from '../../../src/sso/adapters/http/provider-http.js';
import { closeServer } from './test-oidc-provider.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(handler: Handler): Promise<{ url: string; server: Server; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits += 1;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits: () => hits };
}

async function failure(call: Promise<unknown>): Promise<AegisError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof AegisError) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
}

describe('ProviderHttp', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map(closeServer));
  });
  const start = async (handler: Handler) => {
    const s = await serve(handler);
    servers.push(s.server);
    return s;
  };
  const http = new ProviderHttp({ timeoutMs: 300, maxBodyBytes: 1024 });

  test('a provider slower than the deadline is Unavailable, naming the host', async () => {
    const slow = await start((_req, res) => {
      const timer = setTimeout(() => res.end('{}'), 2_000);
      res.on('close', () => clearTimeout(timer));
    });
    const err = await failure(http.json(`${slow.url}/x`, {}, 'the slow provider'));
    expect(err.kind).toBe('unavailable');
    expect(err.message).toMatch(/did not answer within 300 ms/);
  });

  test('an unreachable provider is Unavailable', async () => {
    const gone = await start((_req, res) => res.end());
    await closeServer(gone.server);
    servers.splice(servers.indexOf(gone.server), 1);
    const err = await failure(http.json(`${gone.url}/x`, {}, 'the gone provider'));
    expect(err.kind).toBe('unavailable');
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  test('redirects are followed within the origin, refused to another host, and never for a POST', async () => {
    const other = await start((_req, res) => res.end('{"secret-sink":true}'));
    const origin = await start((req, res) => {
      if (req.url === '/moved') return void res.writeHead(302, { location: '/final' }).end();
      if (req.url === '/away') return void res.writeHead(302, { location: `${other.url.replace('127.0.0.1', 'localhost')}/steal` }).end();
      if (req.url === '/final') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      res.writeHead(307, { location: '/final' }).end();
    });
    await expect(http.json(`${origin.url}/moved`, {}, 'p')).resolves.toMatchObject({ status: 200, body: { ok: true } });
    const away = await failure(http.json(`${origin.url}/away`, {}, 'the discovery document of p'));
    expect(away.kind).toBe('failed_precondition');
    expect(away.message).toMatch(/redirected to another host \(localhost:\d+\)/);
    expect(other.hits()).toBe(0);
    const post = await failure(http.json(`${origin.url}/token`, { method: 'POST', form: new URLSearchParams({ client_secret: 'hunter2' }) }, 'the token endpoint of p'));
    expect(post.kind).toBe('failed_precondition');
    expect(post.message).not.toContain('hunter2');
  });

  test('an answer larger than the cap is refused', async () => {
    const big = await start((_req, res) => res.end(`{"a":"${'x'.repeat(4096)}"}`));
    const err = await failure(http.json(big.url, {}, 'the big provider'));
    expect(err.kind).toBe('failed_precondition');
    expect(err.message).toMatch(/more than 1024 bytes/);
  });

  test('HTML instead of JSON: 5xx is Unavailable, other statuses FailedPrecondition', async () => {
    const broken = await start((req, res) => res.writeHead(req.url === '/500' ? 503 : 404, { 'content-type': 'text/html' }).end('<html>oops</html>'));
    expect((await failure(http.json(`${broken.url}/500`, {}, 'p'))).kind).toBe('unavailable');
    expect((await failure(http.json(`${broken.url}/404`, {}, 'p'))).kind).toBe('failed_precondition');
  });
});

describe('discovery and JWKS caches', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map(closeServer));
  });

  test('discovery is fetched once per TTL, served stale while the provider is down, and fresh on demand', async () => {
    let up = true;
    let issuer = '';
    const provider = await serve((_req, res) => {
      if (!up) return void res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`,
      }));
    });
    servers.push(provider.server);
    issuer = provider.url;
    const cache = new DiscoveryCache(new ProviderHttp({ timeoutMs: 1_000 }), 60_000, { allowHttpLoopback: true });
    const opts = { sameOriginIssuer: false };
    const [a, b] = await Promise.all([cache.get(issuer, 'p', opts), cache.get(issuer, 'p', opts)]);
    expect(a.tokenEndpoint).toBe(`${issuer}/token`);
    expect(b).toBe(a);
    expect(provider.hits()).toBe(1);

    up = false;
    await expect(cache.get(issuer, 'p', opts)).resolves.toBe(a);
    const fresh = await failure(cache.get(issuer, 'p', { ...opts, fresh: true }));
    expect(fresh.kind).toBe('unavailable');
  });

  test('discovery refuses plain-http endpoints unless loopback http is allowed', async () => {
    let issuer = '';
    const provider = await serve((_req, res) => res.writeHead(200).end(JSON.stringify({
      issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`,
    })));
    servers.push(provider.server);
    issuer = provider.url;
    const strict = new DiscoveryCache(new ProviderHttp({ timeoutMs: 1_000 }), 60_000, { allowHttpLoopback: false });
    const err = await failure(strict.get(issuer, 'p', { sameOriginIssuer: false }));
    expect(err.kind).toBe('failed_precondition');
    expect(err.message).toMatch(/must use https/);
  });

  test('JWKS: cached; a forced refresh is rate-limited by a cooldown', async () => {
    const jwks = await serve((_req, res) => res.writeHead(200).end(JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AAAA', kid: 'k' }] })));
    servers.push(jwks.server);
    const cache = new JwksCache(new ProviderHttp({ timeoutMs: 1_000 }), 60_000);
    const keys = cache.keysFor(`${jwks.url}/jwks`, 'p');
    expect((await keys.keys({ refresh: false })).keys).toHaveLength(1);
    await keys.keys({ refresh: false });
    // Just fetched: a refresh within the cooldown is answered from the cache.
    await keys.keys({ refresh: true });
    expect(jwks.hits()).toBe(1);
  });
});
