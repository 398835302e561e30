import { BUILTIN_ROLE_NAMES, compilePolicySet, decide, PLAN_PERMISSIONS } from '../../../src/domain/index.js';

// The GenXAI plan's ROLE_PERMISSIONS table, transcribed independently of the implementation:
// X = granted. Columns follow PLAN_PERMISSIONS' order.
//                      agent          workflow        tool         memory
//                   c r u d x       c r u d x       c r u d x      r w d
const TABLE: Record<string, string> = {
  admin:            'X X X X X       X X X X X       X X X X X      X X X',
  developer:        'X X X . X       X X X . X       . X . . X      X X .',
  operator:         '. X . . X       . X . . X       . X . . X      X . .',
  viewer:           '. X . . .       . X . . .       . X . . .      X . .',
};

const set = compilePolicySet({ tenantId: 't1', revision: 1, roles: [], policies: [] });

const cases = BUILTIN_ROLE_NAMES.flatMap((role) => {
  const marks = (TABLE[role] as string).split(/\s+/);
  return PLAN_PERMISSIONS.map((permission, i) => ({ role, permission, granted: marks[i] === 'X' }));
});

test('the plan has 4 roles and 18 permissions', () => {
  expect(BUILTIN_ROLE_NAMES).toEqual(['admin', 'developer', 'operator', 'viewer']);
  expect(PLAN_PERMISSIONS).toHaveLength(18);
  expect(cases).toHaveLength(72);
});

test.each(cases)('$role -> $permission: $granted', ({ role, permission, granted }) => {
  const [kind, action] = permission.split(':') as [string, string];
  const decision = decide(set, {
    tenantId: 't1',
    principal: { id: 'u1', roles: [role] },
    action,
    resource: { kind },
    context: { now: 0 },
  });
  expect(decision.allowed).toBe(granted);
  expect(decision.reason).toBe(granted ? 'role_permission' : 'no_match');
  if (granted) expect(decision.matchedRole).toBe(role);
  else expect(decision.explanation).toBe(`denied: no role grants ${permission} and no policy allows it`);
});

test('admin holds `*`, so permissions added after the plan are covered too', () => {
  for (const [kind, action] of [['billing', 'refund'], ['policy', 'write'], ['decision', 'check']] as const) {
    const decision = decide(set, { tenantId: 't1', principal: { id: 'u', roles: ['admin'] }, action, resource: { kind }, context: { now: 0 } });
    expect(decision).toMatchObject({ allowed: true, reason: 'role_permission', matchedRole: 'admin' });
  }
  const developer = decide(set, { tenantId: 't1', principal: { id: 'u', roles: ['developer'] }, action: 'refund', resource: { kind: 'billing' }, context: { now: 0 } });
  expect(developer.allowed).toBe(false);
});

test('a stored copy of a built-in role cannot widen it: the plan table wins', () => {
  const tampered = compilePolicySet({
    tenantId: 't1',
    revision: 2,
    roles: [{ name: 'viewer', permissions: ['*'], modelAccess: ['*'], inherits: [], builtin: true }],
    policies: [],
  });
  const decision = decide(tampered, { tenantId: 't1', principal: { id: 'u', roles: ['viewer'] }, action: 'delete', resource: { kind: 'agent' }, context: { now: 0 } });
  expect(decision.allowed).toBe(false);
  expect(() => compilePolicySet({ tenantId: 't1', revision: 2, roles: [{ name: 'viewer', permissions: ['*'], modelAccess: [], inherits: [] }], policies: [] })).toThrow(
    /roles\[viewer\]\.name: "viewer" is a built-in role/,
  );
});
