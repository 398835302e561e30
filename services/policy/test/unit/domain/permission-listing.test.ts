import { listPrincipalPermissions, listRolePermissions } from '../../../src/domain/index.js';
import { kaizenSet } from './fixtures.js';

const set = kaizenSet();

test('a role expands with inheritance, wildcards kept as written', () => {
  expect(listRolePermissions(set, 'senior_analyst')).toEqual({
    roles: ['ai_analyst', 'senior_analyst'],
    permissions: ['agent:create', 'data:access_confidential', 'data:access_public', 'team_agent:manage', 'workflow:execute'],
    allowedModels: ['claude-3', 'gpt-3.5-turbo', 'gpt-4'],
    resourceLimits: { maxTokensPerDay: 500_000, maxConcurrentAgents: 20 },
  });
  expect(listRolePermissions(set, 'admin')).toEqual({ roles: ['admin'], permissions: ['*'], allowedModels: ['*'], resourceLimits: {} });
  expect(listRolePermissions(set, 'ghost')).toBeUndefined();
});

test('a principal gets the union of its roles, narrowed by its scopes', () => {
  expect(listPrincipalPermissions(set, ['viewer', 'ai_analyst', 'ghost']).permissions).toEqual([
    'agent:create', 'agent:read', 'data:access_public', 'memory:read', 'tool:read', 'workflow:execute', 'workflow:read',
  ]);
  expect(listPrincipalPermissions(set, ['admin'], ['agent:*', 'memory:read']).permissions).toEqual(['agent:*', 'memory:read']);
  expect(listPrincipalPermissions(set, ['viewer'], ['agent:*']).permissions).toEqual(['agent:read']);
  expect(listPrincipalPermissions(set, ['viewer'], ['billing:*']).permissions).toEqual([]);
});
