import fc from 'fast-check';
import {
  compilePolicySet,
  decide,
  LEVELS,
  type DecisionRequest,
  type JsonObject,
  type PolicyDefinition,
  type RoleDefinition,
} from '../../../src/domain/index.js';

// Random tenants and requests over a small vocabulary, so that roles, policies and requests
// actually meet.

const KINDS = ['agent', 'workflow', 'tool', 'memory'] as const;
const ACTIONS = ['create', 'read', 'execute', 'delete'] as const;
const kind = fc.constantFrom(...KINDS);
const action = fc.constantFrom(...ACTIONS);

const permission = fc.oneof(
  fc.constant('*'),
  kind.map((k) => `${k}:*`),
  fc.tuple(kind, action).map(([k, a]) => `${k}:${a}`),
);
const actionPattern = fc.oneof(fc.constant('*'), action, kind.map((k) => `${k}:*`), fc.tuple(kind, action).map(([k, a]) => `${k}:${a}`));

const leaf: fc.Arbitrary<JsonObject> = fc.oneof(
  fc.constantFrom(...LEVELS).map((level) => ({ 'user.clearance_level': { $lt: level } })),
  fc.constantFrom(...LEVELS).map((level) => ({ 'data.classification': { $gte: level } })),
  fc.boolean().map((pii) => ({ 'data.contains_pii': pii })),
  fc.constantFrom('finance', 'sales').map((dept) => ({ 'user.department': dept })),
  fc.constantFrom('finance', 'sales').map((dept) => ({ 'user.department': { $in: [dept, 'legal'] } })),
  fc.boolean().map((exists) => ({ 'user.department': { $exists: exists } })),
  fc.boolean().map((open) => ({ 'time.business_hours': open })),
  fc.constant({}),
);
const condition: fc.Arbitrary<JsonObject> = fc.oneof(
  leaf,
  fc.array(leaf, { minLength: 1, maxLength: 3 }).map((all) => ({ $and: all })),
  fc.array(leaf, { minLength: 1, maxLength: 3 }).map((any) => ({ $or: any })),
  leaf.map((inner) => ({ $not: inner })),
);

const policies = (effect: 'allow' | 'deny' | undefined): fc.Arbitrary<PolicyDefinition[]> =>
  fc
    .array(fc.record({ condition, actions: fc.array(actionPattern, { minLength: 1, maxLength: 3 }), effect: effect ? fc.constant(effect) : fc.constantFrom('allow' as const, 'deny' as const) }), { maxLength: 4 })
    .map((list) => list.map((p, i) => ({ ...p, name: `${effect ?? 'p'}_${i}` })));

/** Up to four roles; role i may only include roles before it, so there is never a cycle. */
const roles: fc.Arbitrary<RoleDefinition[]> = fc
  .array(fc.record({ permissions: fc.array(permission, { maxLength: 4 }), parents: fc.array(fc.nat(3), { maxLength: 2 }) }), { maxLength: 4 })
  .map((list) =>
    list.map((r, i) => ({
      name: `role_${i}`,
      permissions: r.permissions,
      modelAccess: [],
      inherits: [...new Set(r.parents.filter((p) => p < i).map((p) => `role_${p}`))],
    })),
  );

const attributes = {
  user: fc.record({ clearance_level: fc.constantFrom(...LEVELS), department: fc.constantFrom('finance', 'sales') }, { requiredKeys: [] }),
  data: fc.record({ classification: fc.constantFrom(...LEVELS), contains_pii: fc.boolean() }, { requiredKeys: [] }),
};

const request: fc.Arbitrary<DecisionRequest> = fc
  .record({
    kind,
    action,
    roles: fc.array(fc.constantFrom('role_0', 'role_1', 'role_2', 'role_3', 'admin', 'developer', 'viewer', 'nobody'), { maxLength: 3 }),
    user: attributes.user,
    data: attributes.data,
    // Any instant in 2020-2030.
    now: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
  })
  .map((r) => ({
    tenantId: 't',
    principal: { id: 'u', roles: r.roles, attributes: r.user },
    action: r.action,
    resource: { kind: r.kind, attributes: r.data },
    context: { now: r.now },
  }));

const compile = (customRoles: RoleDefinition[], list: PolicyDefinition[]) =>
  compilePolicySet({ tenantId: 't', revision: 1, roles: customRoles, policies: list, businessHours: { timeZone: 'America/New_York', weekdays: [1, 2, 3, 4, 5], startMinute: 540, endMinute: 1020 } });

/** Whether `condition` holds for `req`: an allow-only tenant with no roles allows exactly then. */
const conditionHolds = (cond: JsonObject, req: DecisionRequest) =>
  decide(compile([], [{ name: 'probe', condition: cond, actions: ['*'], effect: 'allow' }]), { ...req, principal: { ...req.principal, roles: [] } }).allowed;

/** Reference reading of policy.proto's action patterns, independent of the engine. */
const covers = (pattern: string, req: DecisionRequest) =>
  pattern === '*' || pattern === req.action || pattern === `${req.resource.kind}:*` || pattern === `${req.resource.kind}:${req.action}`;

test('an empty policy set with no custom roles denies every principal without built-in roles', () => {
  const empty = compile([], []);
  fc.assert(
    fc.property(request, (req) => {
      const unprivileged = { ...req, principal: { ...req.principal, roles: req.principal.roles.filter((r) => r.startsWith('role_') || r === 'nobody') } };
      const decision = decide(empty, unprivileged);
      return !decision.allowed && decision.reason === 'no_match' && decision.obligations.allowedModels.length === 0;
    }),
  );
});

test('deny wins: an applicable deny policy whose condition holds denies, whatever the roles and allow policies', () => {
  fc.assert(
    fc.property(roles, policies('allow'), condition, request, (customRoles, allows, denyCondition, req) => {
      const deny: PolicyDefinition = { name: 'the_deny', condition: denyCondition, actions: [req.action], effect: 'deny' };
      const decision = decide(compile(customRoles, [...allows, deny]), req);
      if (conditionHolds(denyCondition, req)) {
        return !decision.allowed && decision.reason === 'policy_deny' && decision.matchedPolicies.includes('the_deny');
      }
      // A deny that does not hold changes nothing.
      return decision.allowed === decide(compile(customRoles, allows), req).allowed;
    }),
    { numRuns: 300 },
  );
});

test('adding policies of effect deny never turns a deny into an allow', () => {
  fc.assert(
    fc.property(roles, policies(undefined), policies('deny'), request, (customRoles, base, extraDenies, req) => {
      const before = decide(compile(customRoles, base), req);
      const renamed = extraDenies.map((p) => ({ ...p, name: `extra_${p.name}` }));
      const after = decide(compile(customRoles, [...base, ...renamed]), req);
      return !after.allowed || before.allowed;
    }),
    { numRuns: 300 },
  );
});

test('the decision does not depend on the order of policies or roles', () => {
  fc.assert(
    fc.property(roles, policies(undefined), request, (customRoles, list, req) => {
      const forward = decide(compile(customRoles, list), req);
      const backward = decide(compile([...customRoles].reverse(), [...list].reverse()), req);
      return forward.allowed === backward.allowed && forward.reason === backward.reason && [...forward.matchedPolicies].sort().join() === [...backward.matchedPolicies].sort().join();
    }),
    { numRuns: 300 },
  );
});

test('without deny policies, an allow is exactly "some role grants it or some allow policy holds"', () => {
  fc.assert(
    fc.property(roles, policies('allow'), request, (customRoles, allows, req) => {
      const decision = decide(compile(customRoles, allows), req);
      const byRole = decide(compile(customRoles, []), req).allowed;
      const byPolicy = allows.some((p) => p.actions.some((a) => covers(a, req)) && conditionHolds(p.condition, req));
      return decision.allowed === (byRole || byPolicy) && (!byRole || decision.reason === 'role_permission');
    }),
    { numRuns: 200 },
  );
});
