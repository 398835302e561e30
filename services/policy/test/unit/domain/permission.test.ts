import { compilePolicySet, decide, parsePermission, permissionProblem } from '../../../src/domain/index.js';

test.each([
  ['*', { kind: 'all' }],
  ['agent:*', { kind: 'resource', resource: 'agent' }],
  ['agent:execute', { kind: 'exact', resource: 'agent', action: 'execute' }],
  ['api_key:create', { kind: 'exact', resource: 'api_key', action: 'create' }],
])('parses %s', (text, pattern) => {
  expect(parsePermission(text)).toEqual(pattern);
});

test.each(['', 'agent', 'agent:', ':read', 'Agent:read', 'agent:read:x', '*:read', 'agent:re ad', 'agent:**', ' agent:read'])('rejects %j', (text) => {
  expect(parsePermission(text)).toBeUndefined();
  expect(permissionProblem(text)).toMatch(/is not a permission/);
});

describe('wildcards in custom roles', () => {
  const set = compilePolicySet({
    tenantId: 't',
    revision: 1,
    roles: [
      { name: 'agent_owner', permissions: ['agent:*', 'memory:read'], modelAccess: [], inherits: [] },
      { name: 'root_like', permissions: ['*'], modelAccess: [], inherits: [] },
    ],
    policies: [],
  });
  const check = (roles: string[], kind: string, action: string) =>
    decide(set, { tenantId: 't', principal: { id: 'u', roles }, action, resource: { kind }, context: { now: 0 } }).allowed;

  test('agent:* grants every agent action, including unknown ones, and nothing else', () => {
    for (const action of ['create', 'read', 'update', 'delete', 'execute', 'clone']) expect(check(['agent_owner'], 'agent', action)).toBe(true);
    expect(check(['agent_owner'], 'agents', 'read')).toBe(false);
    expect(check(['agent_owner'], 'workflow', 'read')).toBe(false);
    expect(check(['agent_owner'], 'memory', 'read')).toBe(true);
    expect(check(['agent_owner'], 'memory', 'write')).toBe(false);
  });

  test('* grants everything', () => {
    expect(check(['root_like'], 'anything', 'at_all')).toBe(true);
  });

  test('unknown role names grant nothing', () => {
    expect(check(['no_such_role'], 'agent', 'read')).toBe(false);
    expect(check(['no_such_role', 'agent_owner'], 'agent', 'read')).toBe(true);
  });

  test('malformed request names are denied, even for *', () => {
    expect(check(['root_like'], 'agent', 'read:x')).toBe(false);
    expect(check(['root_like'], '', 'read')).toBe(false);
  });
});
