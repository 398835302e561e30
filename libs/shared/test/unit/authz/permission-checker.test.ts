import { Registry } from 'prom-client';
import { DecisionCache, PermissionChecker, type DecideOptions, type PermissionDecider, type PermissionDecision, type PermissionQuery } from '../../../src/authz/index.js';
import { AegisError } from '../../../src/errors/index.js';
import { decision, principal } from './fixtures.js';

/** Allows only the resource ids in `allowedIds`; each answer can be held back by the test. */
class ResourceDecider implements PermissionDecider {
  asked: PermissionQuery[] = [];
  version = 1n;
  hold: Promise<void> | undefined;
  async check(query: PermissionQuery, _options?: DecideOptions): Promise<PermissionDecision> {
    this.asked.push(query);
    const version = this.version;
    await this.hold;
    const allowed = query.resource?.id === 'mine';
    return decision(allowed, { permission: query.permission, policyVersion: version, explanation: allowed ? 'allowed: role owner grants it' : `denied: no role grants ${query.permission} and no policy allows it` });
  }
  async close(): Promise<void> {}
}

async function rejection(call: Promise<unknown>): Promise<AegisError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof AegisError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

test('require decides on one resource in the principal\'s tenant and names the permission when denied', async () => {
  const decider = new ResourceDecider();
  const checker = new PermissionChecker({ decider });
  const alice = principal({ tenantId: 'acme' });
  expect((await checker.require(alice, 'workflow:delete', { id: 'mine' })).allowed).toBe(true);
  const err = await rejection(checker.require(alice, 'workflow:delete', { id: 'theirs' }));
  expect(err.kind).toBe('permission_denied');
  expect(err.message).toBe('missing permission workflow:delete: no role grants workflow:delete and no policy allows it');
  expect(decider.asked.map((q) => [q.tenantId, q.resource?.id])).toEqual([['acme', 'mine'], ['acme', 'theirs']]);
});

test('decisions are counted by source and effect', async () => {
  const registry = new Registry();
  const checker = new PermissionChecker({ decider: new ResourceDecider(), cache: new DecisionCache(), registry });
  const alice = principal();
  await checker.require(alice, 'workflow:read', { id: 'mine' });
  await checker.require(alice, 'workflow:read', { id: 'mine' });
  await rejection(checker.require(alice, 'workflow:read', { id: 'theirs' }));
  const text = await registry.metrics();
  expect(text).toContain('permission_decisions_total{source="policy",effect="allow"} 1');
  expect(text).toContain('permission_decisions_total{source="cache",effect="allow"} 1');
  expect(text).toContain('permission_decisions_total{source="policy",effect="deny"} 1');
  // A second checker on the same registry shares the metric instead of failing to register it.
  expect(() => new PermissionChecker({ decider: new ResourceDecider(), registry })).not.toThrow();
});

test('an answer that was in flight when the tenant\'s policy changed is used once but not cached', async () => {
  const decider = new ResourceDecider();
  const cache = new DecisionCache();
  const checker = new PermissionChecker({ decider, cache });
  let release: () => void = () => {};
  decider.hold = new Promise((resolve) => (release = resolve));
  const pending = checker.require(principal(), 'workflow:read', { id: 'mine' });
  await new Promise((r) => setImmediate(r));
  cache.invalidateTenant('acme', 2n); // the notice overtakes the answer made at version 1
  release();
  expect((await pending).policyVersion).toBe(1n);
  decider.hold = undefined;
  decider.version = 2n;
  await checker.require(principal(), 'workflow:read', { id: 'mine' });
  await checker.require(principal(), 'workflow:read', { id: 'mine' });
  expect(decider.asked).toHaveLength(2);
});
