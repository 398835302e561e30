import {
  compilePolicySet,
  decide,
  findInheritanceCycle,
  listRolePermissions,
  PolicySetCompileError,
  type RoleDefinition,
} from '../../../src/domain/index.js';

const role = (name: string, inherits: string[], permissions: string[] = [], extra: Partial<RoleDefinition> = {}): RoleDefinition => ({
  name,
  permissions,
  modelAccess: [],
  inherits,
  ...extra,
});

const compile = (roles: RoleDefinition[]) => compilePolicySet({ tenantId: 't', revision: 1, roles, policies: [] });
const allowed = (set: ReturnType<typeof compile>, roles: string[], permission: string) => {
  const [kind, action] = permission.split(':') as [string, string];
  return decide(set, { tenantId: 't', principal: { id: 'u', roles }, action, resource: { kind }, context: { now: 0 } });
};

test('a role includes the permissions of the roles it inherits, transitively, and says where they came from', () => {
  const set = compile([role('auditor', ['viewer'], ['audit:read']), role('lead_auditor', ['auditor'], ['audit:verify'])]);
  expect(allowed(set, ['lead_auditor'], 'audit:verify').allowed).toBe(true);
  expect(allowed(set, ['lead_auditor'], 'audit:read').allowed).toBe(true);
  const inherited = allowed(set, ['lead_auditor'], 'memory:read');
  expect(inherited).toMatchObject({ allowed: true, matchedRole: 'lead_auditor' });
  expect(inherited.explanation).toBe('allowed: role lead_auditor grants memory:read (inherited from viewer)');
  expect(allowed(set, ['lead_auditor'], 'memory:write').allowed).toBe(false);
  expect(allowed(set, ['auditor'], 'audit:verify').allowed).toBe(false);
  expect(listRolePermissions(set, 'lead_auditor')?.roles).toEqual(['auditor', 'lead_auditor', 'viewer']);
});

test('diamond inheritance is not a cycle', () => {
  const set = compile([role('a', ['viewer']), role('b', ['viewer']), role('c', ['a', 'b'], ['x:y'])]);
  expect(allowed(set, ['c'], 'tool:read').allowed).toBe(true);
});

test('a cycle is rejected at compile time with an error naming the cycle', () => {
  let error: unknown;
  try {
    compile([role('alpha', ['gamma']), role('beta', ['alpha']), role('gamma', ['beta'], ['agent:read'])]);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(PolicySetCompileError);
  const message = (error as Error).message;
  expect(message).toMatch(/inheritance cycle: (alpha -> gamma -> beta -> alpha|beta -> alpha -> gamma -> beta|gamma -> beta -> alpha -> gamma)/);
  expect((error as PolicySetCompileError).violations.some((v) => v.field === 'roles[alpha].inherits[0]')).toBe(true);
});

test('a role including itself and an unknown parent are compile errors', () => {
  expect(() => compile([role('narcissus', ['narcissus'])])).toThrow(/roles\[narcissus\]\.inherits\[0\]: a role cannot include itself/);
  expect(() => compile([role('orphan', ['ghost'])])).toThrow(/roles\[orphan\]\.inherits\[0\]: unknown role "ghost"/);
});

test('findInheritanceCycle returns the cycle path or nothing', () => {
  const graph = new Map<string, string[]>([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a']],
    ['d', ['a']],
  ]);
  expect(findInheritanceCycle(graph, 'd')).toEqual(['a', 'b', 'c', 'a']);
  expect(findInheritanceCycle(new Map([['a', ['b']], ['b', []]]))).toBeUndefined();
});

test("inheritance: a role's own limits override inherited ones; unset ones are inherited", () => {
  const set = compile([
    role('base', [], [], { resourceLimits: { maxTokensPerDay: 1000, maxConcurrentAgents: 2 }, modelAccess: ['m1'] }),
    role('narrowed', ['base'], [], { resourceLimits: { maxTokensPerDay: 10 }, modelAccess: ['m2'] }),
    role('widened_by_viewer', ['base', 'viewer'], []),
  ]);
  expect(listRolePermissions(set, 'narrowed')).toMatchObject({
    resourceLimits: { maxTokensPerDay: 10, maxConcurrentAgents: 2 },
    allowedModels: ['m1', 'm2'],
  });
  // viewer has no limits and any model: including it lifts the limits (most generous parent).
  expect(listRolePermissions(set, 'widened_by_viewer')).toMatchObject({ resourceLimits: {}, allowedModels: ['*'] });
});
