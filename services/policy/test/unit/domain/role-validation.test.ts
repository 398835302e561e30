import { validateRole, type RoleDefinition, type RoleDraft } from '../../../src/domain/index.js';
import { AI_ANALYST, SENIOR_ANALYST } from './fixtures.js';

const stored: RoleDefinition[] = [AI_ANALYST, { name: 'a', permissions: [], modelAccess: [], inherits: ['b'] }, { name: 'b', permissions: [], modelAccess: [], inherits: [] }];
const valid: RoleDraft = { name: 'new_role', permissions: ['agent:read'], modelAccess: ['gpt-4'], inherits: ['viewer'], resourceLimits: { maxTokensPerDay: 5 } };

test('the Kaizen roles validate', () => {
  expect(validateRole(AI_ANALYST, [])).toEqual([]);
  expect(validateRole(SENIOR_ANALYST, [AI_ANALYST])).toEqual([]);
  expect(validateRole(valid, stored)).toEqual([]);
});

test.each<[string, RoleDraft, string, RegExp]>([
  ['bad permission string', { permissions: ['agent:read', 'create_agents'] }, 'role.permissions[1]', /"create_agents" is not a permission/],
  ['bad model id', { modelAccess: ['gpt 4'] }, 'role.model_access[0]', /not a model id/],
  ['unknown parent role', { inherits: ['viewer', 'ghost'] }, 'role.inherits[1]', /unknown role "ghost"/],
  ['negative limit', { resourceLimits: { maxConcurrentAgents: -1 } }, 'role.resource_limits.max_concurrent_agents', /non-negative integer/],
  ['fractional limit', { resourceLimits: { maxExecutionTimeMs: 1.5 } }, 'role.resource_limits.max_execution_time', /non-negative integer/],
  ['bad custom limit name', { resourceLimits: { custom: { 'Bad-Name': 1 } } }, 'role.resource_limits.custom.Bad-Name', /\[a-z0-9_\]/],
  ['bad name', { name: '9lives' }, 'role.name', /starting with a letter/],
  ['built-in name', { name: 'admin' }, 'role.name', /built-in role/],
  ['includes itself', { inherits: ['new_role'] }, 'role.inherits[0]', /cannot include itself/],
])('%s', (_label, change, field, description) => {
  const violations = validateRole({ ...valid, ...change }, stored);
  expect(violations).toContainEqual({ field, description: expect.stringMatching(description) });
  expect(violations).toHaveLength(1);
});

test('a write that would close an inheritance cycle is rejected, naming the cycle', () => {
  // b is stored with no parents and a includes b; making b include a closes b -> a -> b.
  expect(validateRole({ name: 'b', permissions: [], modelAccess: [], inherits: ['viewer', 'a'] }, stored.filter((r) => r.name !== 'b'))).toEqual([
    { field: 'role.inherits[1]', description: 'inheritance cycle: b -> a -> b' },
  ]);
});
