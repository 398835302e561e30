// Whether a decision may be reused (Check's cache_ttl) follows from what its conditions read:
// a decision that read time.* or request.* says so; one that did not comes out the same for
// any clock, client IP and request context, so it is safe to reuse for the identical request.
import fc from 'fast-check';
import { compilePolicySet, decide, type JsonObject, type PolicyDefinition } from '../../../src/domain/index.js';
import { FINANCIAL_DATA_ACCESS, kaizenSet, PII_ACCESS_RESTRICTION, request, TENANT } from './fixtures.js';

const FROM_OFFICE: PolicyDefinition = { name: 'from_office', condition: { 'request.ip': { $in: ['10.0.0.1'] } }, actions: ['export'], effect: 'allow' };
const VIA_CHANNEL: PolicyDefinition = { name: 'via_channel', condition: { 'request.channel': 'web' }, actions: ['share'], effect: 'deny' };

function setWith(policies: PolicyDefinition[]) {
  return compilePolicySet({ tenantId: TENANT, revision: 3, roles: [], policies });
}

test('a role grant with no condition consulted is reusable', () => {
  const d = decide(kaizenSet(), request({ roles: ['ai_analyst'], action: 'create', resource: { kind: 'agent' } }));
  expect(d.allowed).toBe(true);
  expect(d.readPerCallAttributes).toBeUndefined();
});

test('a decision that read time.business_hours is not, allowed or denied', () => {
  const finance = { department: 'finance' };
  const inHours = decide(kaizenSet(), request({ user: finance, resource: { kind: 'dataset', attributes: { classification: 'financial' } } }));
  expect(inHours.allowed).toBe(true);
  expect(inHours.readPerCallAttributes).toBe(true);
  const outOfHours = decide(kaizenSet(), request({ user: finance, at: '2024-03-13T22:00:00Z', resource: { kind: 'dataset', attributes: { classification: 'financial' } } }));
  expect(outOfHours.allowed).toBe(false);
  expect(outOfHours.readPerCallAttributes).toBe(true);
});

test('a condition that stopped before its time clause read nothing per call', () => {
  // user.department fails first: the clock was never consulted, so any clock gives this answer.
  const afterHours: PolicyDefinition = { name: 'sales_after_hours', condition: { 'user.department': 'sales', 'time.business_hours': false }, actions: ['*'], effect: 'deny' };
  const d = decide(kaizenSet({ policies: [afterHours] }), request({ roles: ['ai_analyst'], action: 'create', resource: { kind: 'agent' }, user: { department: 'finance' } }));
  expect(d.allowed).toBe(true);
  expect(d.readPerCallAttributes).toBeUndefined();
});

test('an explanation that shows a per-call value counts as reading it', () => {
  // The no-match denial names the allow policy that did not apply, with the clock's value.
  const d = decide(kaizenSet({ policies: [FINANCIAL_DATA_ACCESS] }), request({ user: { department: 'sales' } }));
  expect(d.explanation).toContain('time.business_hours');
  expect(d.readPerCallAttributes).toBe(true);
});

test('request.ip and request context make a decision per call', () => {
  const ip = decide(setWith([FROM_OFFICE]), request({ action: 'export', context: { now: 0, ip: '10.0.0.1' } }));
  expect(ip.allowed).toBe(true);
  expect(ip.readPerCallAttributes).toBe(true);
  const channel = decide(setWith([VIA_CHANNEL]), request({ roles: ['admin'], action: 'share', context: { now: 0, attributes: { channel: 'api' } } }));
  expect(channel.allowed).toBe(true);
  expect(channel.readPerCallAttributes).toBe(true);
});

test('user and data conditions alone keep a decision reusable', () => {
  const d = decide(kaizenSet({ policies: [PII_ACCESS_RESTRICTION] }), request({ roles: ['admin'], resource: { kind: 'dataset', attributes: { contains_pii: true } }, user: { clearance_level: 'public' } }));
  expect(d.allowed).toBe(false);
  expect(d.readPerCallAttributes).toBeUndefined();
});

test('property: a decision that read nothing per call is the same for any clock, IP and context', () => {
  const set = kaizenSet({ policies: [FINANCIAL_DATA_ACCESS, PII_ACCESS_RESTRICTION, FROM_OFFICE, VIA_CHANNEL] });
  const context = fc.record({
    now: fc.integer({ min: 0, max: 4_000_000_000_000 }),
    ip: fc.constantFrom('10.0.0.1', '192.0.2.7', ''),
    attributes: fc.constantFrom<JsonObject[]>({}, { channel: 'web' }, { channel: 'api' }),
  });
  fc.assert(fc.property(
    fc.constantFrom('read', 'export', 'share', 'create'),
    fc.constantFrom<string[]>([], ['ai_analyst'], ['admin']),
    fc.constantFrom<JsonObject[]>({}, { department: 'finance' }, { clearance_level: 'public' }),
    fc.constantFrom<JsonObject[]>({}, { classification: 'financial' }, { contains_pii: true }),
    context, context,
    (action, roles, user, data, first, second) => {
      const base = { roles, user, action, resource: { kind: 'dataset', attributes: data } };
      const a = decide(set, request({ ...base, context: first }));
      if (a.readPerCallAttributes === true) return;
      const b = decide(set, request({ ...base, context: second }));
      expect({ ...b, readPerCallAttributes: undefined }).toEqual({ ...a, readPerCallAttributes: undefined });
      expect(b.readPerCallAttributes).toBeUndefined();
    },
  ), { numRuns: 500 });
});
