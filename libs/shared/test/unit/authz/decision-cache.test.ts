import { DecisionCache, decisionKey, principalDigest, type PermissionQuery } from '../../../src/authz/index.js';
import { decision, principal } from './fixtures.js';

function clock(start = 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => { now += ms; } };
}

const query = (init: Partial<PermissionQuery> = {}): PermissionQuery => ({ tenantId: 'acme', principal: principal(), permission: 'agent:read', ...init });

describe('DecisionCache', () => {
  test('an allow is reused for its TTL, a deny for the shorter deny TTL', () => {
    const time = clock();
    const cache = new DecisionCache({ ttlMs: 5_000, denyTtlMs: 1_000, now: time.now });
    cache.set('acme', 'allow', decision(true), cache.ticket());
    cache.set('acme', 'deny', decision(false), cache.ticket());
    time.advance(999);
    expect(cache.get('allow')?.allowed).toBe(true);
    expect(cache.get('deny')?.allowed).toBe(false);
    time.advance(1);
    expect(cache.get('deny')).toBeUndefined();
    expect(cache.get('allow')?.allowed).toBe(true);
    time.advance(4_000);
    expect(cache.get('allow')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  test('a TTL of 0 caches nothing of that kind', () => {
    const cache = new DecisionCache({ ttlMs: 5_000, denyTtlMs: 0 });
    cache.set('acme', 'deny', decision(false), cache.ticket());
    cache.set('acme', 'allow', decision(true), cache.ticket());
    expect(cache.get('deny')).toBeUndefined();
    expect(cache.get('allow')).toBeDefined();
  });

  test('bounded: the least recently used entry goes first', () => {
    const cache = new DecisionCache({ maxEntries: 2 });
    cache.set('acme', 'a', decision(true), cache.ticket());
    cache.set('acme', 'b', decision(true), cache.ticket());
    expect(cache.get('a')).toBeDefined(); // a is now the most recent
    cache.set('acme', 'c', decision(true), cache.ticket());
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
  });

  test('a policy-change notice drops the tenant\'s older decisions only', () => {
    const cache = new DecisionCache();
    cache.set('acme', 'acme-v1', decision(true, { policyVersion: 1n }), cache.ticket());
    cache.set('acme', 'acme-v3', decision(true, { policyVersion: 3n }), cache.ticket());
    cache.set('globex', 'globex-v1', decision(true, { policyVersion: 1n }), cache.ticket());
    cache.invalidateTenant('acme', 3n);
    expect(cache.get('acme-v1')).toBeUndefined();
    // Already at the announced version (another instance's notice for the same change).
    expect(cache.get('acme-v3')).toBeDefined();
    expect(cache.get('globex-v1')).toBeDefined();
    cache.invalidateTenant('acme');
    expect(cache.get('acme-v3')).toBeUndefined();
  });

  test('an answer older than a version already announced is not stored (a lagging instance, a question in flight)', () => {
    const cache = new DecisionCache();
    const ticket = cache.ticket();
    cache.invalidateTenant('acme', 4n);
    cache.set('acme', 'stale', decision(true, { policyVersion: 3n }), ticket);
    expect(cache.get('stale')).toBeUndefined();
    cache.set('acme', 'fresh', decision(true, { policyVersion: 4n }), ticket);
    expect(cache.get('fresh')).toBeDefined();
    // Another tenant's announcement does not hold back this one's answers.
    cache.set('globex', 'other', decision(true, { policyVersion: 1n }), ticket);
    expect(cache.get('other')).toBeDefined();
  });

  test('clear (broadcast reconnected) drops everything and voids answers asked before it', () => {
    const cache = new DecisionCache();
    cache.set('acme', 'a', decision(true), cache.ticket());
    cache.set('globex', 'b', decision(false), cache.ticket());
    const inFlight = cache.ticket();
    cache.clear();
    expect(cache.size).toBe(0);
    cache.set('acme', 'late', decision(true), inFlight);
    expect(cache.get('late')).toBeUndefined();
    cache.set('acme', 'after', decision(true), cache.ticket());
    expect(cache.get('after')).toBeDefined();
  });
});

describe('decision keys', () => {
  test('the principal digest changes with each fact a decision reads', () => {
    const base = principalDigest(principal({ roles: ['viewer'], scopes: ['agent:read'], attributes: { department: 'finance' } }));
    expect(principalDigest(principal({ roles: ['viewer'], scopes: ['agent:read'], attributes: { department: 'finance' } }))).toBe(base);
    expect(principalDigest(principal({ roles: ['admin'], scopes: ['agent:read'], attributes: { department: 'finance' } }))).not.toBe(base);
    expect(principalDigest(principal({ roles: ['viewer'], scopes: ['agent:*'], attributes: { department: 'finance' } }))).not.toBe(base);
    expect(principalDigest(principal({ roles: ['viewer'], scopes: ['agent:read'], attributes: { department: 'sales' } }))).not.toBe(base);
    expect(principalDigest(principal({ roles: ['viewer'], scopes: ['agent:read'], attributes: { department: 'finance', clearance_level: 'internal' } }))).not.toBe(base);
    expect(principalDigest(principal({ id: 'bob', userId: 'bob', roles: ['viewer'], scopes: ['agent:read'], attributes: { department: 'finance' } }))).not.toBe(base);
  });

  test('order of roles and of attribute keys does not matter; how the principal authenticated does not either', () => {
    const a = principal({ roles: ['viewer', 'operator'], attributes: { a: 1, b: { c: true, d: 'x' } } });
    const b = principal({ roles: ['operator', 'viewer'], attributes: { b: { d: 'x', c: true }, a: 1 }, apiKeyId: 'k1', sessionId: 's1' });
    expect(principalDigest(a)).toBe(principalDigest(b));
  });

  test('the key covers tenant, permission, resource, context and request address', () => {
    const base = decisionKey(query());
    expect(decisionKey(query())).toBe(base);
    expect(base.startsWith('acme\u0000')).toBe(true);
    for (const other of [
      query({ tenantId: 'globex', principal: principal({ tenantId: 'globex' }) }),
      query({ permission: 'agent:create' }),
      query({ resource: { id: 'a1' } }),
      query({ resource: { attributes: { contains_pii: true } } }),
      query({ context: { channel: 'api' } }),
      query({ requestIp: '10.0.0.1' }),
      query({ principal: principal({ roles: ['admin'] }) }),
    ]) {
      expect(decisionKey(other)).not.toBe(base);
    }
  });
});
