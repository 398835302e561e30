// remoteJwks against a real HTTP server on loopback: fetched once, refreshed for a rotated-in
// kid (no more often than the cooldown), kept when the endpoint goes away, and an endpoint that
// never answered is `unavailable`, not `unauthenticated`.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import { AegisError } from '../../../../src/errors/index.js';
import { createAccessTokenVerifier, remoteJwks } from '../../../../src/auth/jwt/index.js';
import { AUDIENCE, ISSUER, mint, testSigningKey, type TestSigningKey } from './token-forge.js';

interface KeySetServer {
  url: string;
  hits: number;
  keys: JWK[];
  /** What the endpoint answers instead of the key set, when set. */
  failWith: number | 'garbage' | 'redirect' | undefined;
  close(): Promise<void>;
}

async function keySetServer(keys: JWK[]): Promise<KeySetServer> {
  const state = { hits: 0, keys, failWith: undefined as KeySetServer['failWith'] };
  const server: Server = createServer((_req, res) => {
    state.hits += 1;
    if (state.failWith === 'garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [');
    if (state.failWith === 'redirect') return void res.writeHead(302, { location: 'http://127.0.0.1:1/evil.json' }).end();
    if (typeof state.failWith === 'number') return void res.writeHead(state.failWith).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as KeySetServer;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function kindOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'accepted';
  } catch (err) {
    if (err instanceof AegisError) return err.kind;
    throw err;
  }
}

let first: TestSigningKey;
let second: TestSigningKey;
let server: KeySetServer;

beforeAll(async () => {
  first = await testSigningKey('EdDSA', 'k-1');
  second = await testSigningKey('ES256', 'k-2');
});
beforeEach(async () => {
  server = await keySetServer([first.publicJwk]);
});
afterEach(async () => {
  await server.close();
});

const verifierFor = (opts: Parameters<typeof remoteJwks>[1]) =>
  createAccessTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: remoteJwks(server.url, opts) });

test('the key set is fetched once for many verifications', async () => {
  const verify = verifierFor({});
  const token = await mint(first);
  for (let i = 0; i < 20; i++) await verify(token);
  expect(server.hits).toBe(1);
});

test('a kid rotated in after the fetch is found by one refetch, once the cooldown has passed', async () => {
  const verify = verifierFor({ cooldownMs: 150 });
  await verify(await mint(first));
  server.keys = [first.publicJwk, second.publicJwk];
  const rotated = await mint(second);

  // Within the cooldown a new kid is not worth a request: refused, nothing fetched.
  expect(await kindOf(verify(rotated))).toBe('unauthenticated');
  expect(server.hits).toBe(1);

  await sleep(200);
  await expect(verify(rotated)).resolves.toMatchObject({ userId: 'u-1' });
  expect(server.hits).toBe(2);
});

test('a flood of unknown kids costs one fetch per cooldown', async () => {
  const verify = verifierFor({ cooldownMs: 10_000 });
  await verify(await mint(first));
  await sleep(5);
  const stranger = await testSigningKey('EdDSA', 'k-stranger');
  const forged = await mint(stranger);
  const kinds = await Promise.all(Array.from({ length: 50 }, () => kindOf(verify(forged))));
  expect(new Set(kinds)).toEqual(new Set(['unauthenticated']));
  expect(server.hits).toBe(1);
});

test('an expired cache is refreshed in the background, and a failing endpoint leaves the last good set in use', async () => {
  const verify = verifierFor({ cacheMaxAgeMs: 50, cooldownMs: 10 });
  const token = await mint(first);
  await verify(token);
  server.failWith = 503;
  await sleep(80);
  await expect(verify(token)).resolves.toBeDefined();
  await sleep(30);
  await expect(verify(token)).resolves.toBeDefined();
  expect(server.hits).toBeGreaterThanOrEqual(2);
});

test('an endpoint that never gave a key set makes verification unavailable, then recovers', async () => {
  server.failWith = 500;
  const verify = verifierFor({ cooldownMs: 10 });
  const token = await mint(first);
  expect(await kindOf(verify(token))).toBe('unavailable');
  server.failWith = undefined;
  await sleep(20);
  await expect(verify(token)).resolves.toBeDefined();
});

test.each([['garbage'], ['redirect']] as const)('an endpoint answering %s is unavailable (redirects are never followed)', async (failure) => {
  server.failWith = failure;
  expect(await kindOf(verifierFor({})(await mint(first)))).toBe('unavailable');
});

test('an unreachable endpoint is unavailable', async () => {
  await server.close();
  expect(await kindOf(verifierFor({ timeoutMs: 1_000 })(await mint(first)))).toBe('unavailable');
  server = await keySetServer([]);
});
