import { create } from '@bufbuild/protobuf';
import { PrincipalSchema } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { VerifiedCredentialCache } from '../../src/cache/credential-cache.js';

const principal = (over: Partial<{ tenantId: string; userId: string; apiKeyId: string; sessionId: string }> = {}) =>
  create(PrincipalSchema, { tenantId: 'acme', userId: 'u1', apiKeyId: 'k1', ...over });

function liveCache(opts: { ttlMs?: number; maxEntries?: number } = {}) {
  let now = 1_000_000;
  const cache = new VerifiedCredentialCache({ ...opts, now: () => now });
  cache.goLive();
  return { cache, advance: (ms: number) => { now += ms; }, now: () => now };
}

test('nothing is used or stored while the stream is not live', () => {
  const cache = new VerifiedCredentialCache();
  cache.remember(cache.ticket(), 'key', { principal: principal() });
  expect(cache.size).toBe(0);
  cache.goLive();
  cache.remember(cache.ticket(), 'key', { principal: principal() });
  expect(cache.lookup('key', '')).toBeDefined();
  cache.goDark();
  expect(cache.lookup('key', '')).toBeUndefined();
  expect(cache.size).toBe(0);
});

test('entries last min(ttl, expiry) and are reused only for their own tenant', () => {
  const { cache, advance, now } = liveCache({ ttlMs: 1_000 });
  cache.remember(cache.ticket(), 'a', { principal: principal() });
  cache.remember(cache.ticket(), 'b', { principal: principal(), expiresAt: now() + 100 });
  expect(cache.lookup('a', 'acme')).toBeDefined();
  expect(cache.lookup('a', 'other')).toBeUndefined();
  advance(150);
  expect(cache.lookup('b', '')).toBeUndefined();
  expect(cache.lookup('a', '')).toBeDefined();
  advance(900);
  expect(cache.lookup('a', '')).toBeUndefined();
});

test('an event during a verification keeps its answer out', () => {
  const { cache } = liveCache();
  const ticket = cache.ticket();
  cache.dropApiKey('acme', 'unrelated');
  cache.remember(ticket, 'key', { principal: principal() });
  expect(cache.size).toBe(0);
});

test('events drop what they name', () => {
  const { cache } = liveCache();
  cache.remember(cache.ticket(), 'k1', { principal: principal() });
  cache.remember(cache.ticket(), 'k2', { principal: principal({ apiKeyId: 'k2', userId: 'u2' }) });
  cache.remember(cache.ticket(), 't1', { principal: principal({ apiKeyId: '', userId: 'u3', sessionId: 's1' }), jti: 'j1' });
  cache.remember(cache.ticket(), 't2', { principal: principal({ apiKeyId: '', userId: 'u4' }), jti: 'j2' });
  cache.dropApiKey('other', 'k1');
  expect(cache.size).toBe(4);
  cache.dropApiKey('acme', 'k1');
  expect(cache.lookup('k1', '')).toBeUndefined();
  cache.dropUser('acme', 'u2');
  expect(cache.lookup('k2', '')).toBeUndefined();
  cache.dropSession('acme', 's1');
  expect(cache.lookup('t1', '')).toBeUndefined();
  cache.dropAccessToken('j2');
  expect(cache.size).toBe(0);
});

test('bounded: the least recently used goes first', () => {
  const { cache } = liveCache({ maxEntries: 2 });
  cache.remember(cache.ticket(), 'a', { principal: principal() });
  cache.remember(cache.ticket(), 'b', { principal: principal() });
  cache.lookup('a', '');
  cache.remember(cache.ticket(), 'c', { principal: principal() });
  expect(cache.lookup('b', '')).toBeUndefined();
  expect(cache.lookup('a', '')).toBeDefined();
  expect(cache.lookup('c', '')).toBeDefined();
});
