import { decide } from '../../../src/domain/index.js';
import { kaizenSet, request } from './fixtures.js';

// Wednesday 13 March 2024 (CET = UTC+1) and Wednesday 10 July 2024 (CEST = UTC+2).
const financeUser = { department: 'finance', clearance_level: 'confidential' };
const ledger = { kind: 'dataset', id: 'ledger', attributes: { classification: 'financial' } };

describe('financial_data_access: finance may read financial data in business hours, in the tenant zone', () => {
  const set = kaizenSet();

  test.each([
    ['11:00 Berlin (10:00Z), winter', '2024-03-13T10:00:00Z', true],
    ['08:30 Berlin (07:30Z), before opening', '2024-03-13T07:30:00Z', false],
    ['17:30 Berlin (16:30Z): inside 9-17 in UTC, outside in Berlin', '2024-03-13T16:30:00Z', false],
    ['09:30 Berlin (07:30Z), summer: outside 9-17 in UTC, inside in Berlin', '2024-07-10T07:30:00Z', true],
    ['16:59 Berlin, last minute', '2024-03-13T15:59:00Z', true],
    ['17:00 Berlin, closed', '2024-03-13T16:00:00Z', false],
    ['Saturday 11:00 Berlin', '2024-03-16T10:00:00Z', false],
  ])('%s -> %s', (_label, at, expected) => {
    const decision = decide(set, request({ at, user: financeUser, resource: ledger, action: 'read' }));
    expect(decision.allowed).toBe(expected);
    if (expected) {
      expect(decision).toMatchObject({ reason: 'policy_allow', matchedPolicies: ['financial_data_access'] });
      expect(decision.explanation).toBe('allowed by financial_data_access: user.department = finance and data.classification = financial and time.business_hours = true');
    } else {
      expect(decision.reason).toBe('no_match');
      expect(decision.explanation).toContain('financial_data_access did not apply: ');
      expect(decision.explanation).toContain('time.business_hours = true (is false)');
    }
  });

  test('the policy covers only its actions, its department and its classification', () => {
    expect(decide(set, request({ user: financeUser, resource: ledger, action: 'analyze' })).allowed).toBe(true);
    expect(decide(set, request({ user: financeUser, resource: ledger, action: 'delete' })).allowed).toBe(false);
    expect(decide(set, request({ user: { department: 'sales' }, resource: ledger })).allowed).toBe(false);
    expect(decide(set, request({ user: financeUser, resource: { kind: 'dataset', attributes: { classification: 'public' } } })).allowed).toBe(false);
  });
});

describe('pii_access_restriction: PII is denied below confidential clearance, whatever the role grants', () => {
  const set = kaizenSet();
  const customers = { kind: 'agent', id: 'crm', attributes: { contains_pii: true } };

  test.each([
    ['public', false],
    ['internal', false],
    ['confidential', true],
    ['restricted', true],
  ])('clearance %s -> allowed %s', (clearance, expected) => {
    const decision = decide(set, request({ roles: ['admin'], user: { clearance_level: clearance }, resource: customers, action: 'read' }));
    expect(decision.allowed).toBe(expected);
    if (!expected) {
      expect(decision).toMatchObject({ reason: 'policy_deny', matchedPolicies: ['pii_access_restriction'] });
      expect(decision.explanation).toBe(`denied by pii_access_restriction: data.contains_pii = true and user.clearance_level ${clearance} < confidential`);
    } else {
      expect(decision.reason).toBe('role_permission');
    }
  });

  test('a principal without any clearance counts as below public, so the deny applies', () => {
    const decision = decide(set, request({ roles: ['admin'], resource: customers }));
    expect(decision.reason).toBe('policy_deny');
    expect(decision.explanation).toContain('user.clearance_level missing < confidential');
  });

  test('data without PII is not affected', () => {
    const decision = decide(set, request({ roles: ['viewer'], user: { clearance_level: 'public' }, resource: { kind: 'agent' } }));
    expect(decision).toMatchObject({ allowed: true, reason: 'role_permission' });
  });

  test('the deny overrides an ABAC allow too', () => {
    const decision = decide(set, request({ user: { department: 'finance', clearance_level: 'internal' }, resource: { kind: 'dataset', attributes: { classification: 'financial', contains_pii: true } } }));
    expect(decision).toMatchObject({ allowed: false, reason: 'policy_deny' });
  });
});

describe('Kaizen roles: model access and resource limits as obligations', () => {
  const set = kaizenSet();

  test('an allow carries the role models and limits', () => {
    const decision = decide(set, request({ roles: ['ai_analyst'], action: 'create', resource: { kind: 'agent' } }));
    expect(decision).toMatchObject({
      allowed: true,
      reason: 'role_permission',
      obligations: { allowedModels: ['gpt-3.5-turbo', 'gpt-4'], resourceLimits: { maxTokensPerDay: 100_000, maxConcurrentAgents: 5 } },
      revision: 7,
    });
  });

  test('senior_analyst inherits ai_analyst permissions with its own, larger limits', () => {
    const decision = decide(set, request({ roles: ['senior_analyst'], action: 'execute', resource: { kind: 'workflow' } }));
    expect(decision).toMatchObject({
      allowed: true,
      obligations: { allowedModels: ['claude-3', 'gpt-3.5-turbo', 'gpt-4'], resourceLimits: { maxTokensPerDay: 500_000, maxConcurrentAgents: 20 } },
    });
    expect(decision.explanation).toContain('(inherited from ai_analyst)');
    expect(decide(set, request({ roles: ['ai_analyst'], action: 'access_confidential', resource: { kind: 'data' } })).allowed).toBe(false);
    expect(decide(set, request({ roles: ['senior_analyst'], action: 'access_confidential', resource: { kind: 'data' } })).allowed).toBe(true);
  });

  test('a model outside the role model access is refused', () => {
    const decision = decide(set, request({ roles: ['ai_analyst'], action: 'create', resource: { kind: 'agent' }, model: 'claude-3' }));
    expect(decision).toMatchObject({ allowed: false, reason: 'model_not_allowed', obligations: { allowedModels: [] } });
    expect(decision.explanation).toBe('denied: model claude-3 is not in the model access of role ai_analyst');
    expect(decide(set, request({ roles: ['ai_analyst'], action: 'create', resource: { kind: 'agent' }, model: 'gpt-4' })).allowed).toBe(true);
    expect(decide(set, request({ roles: ['admin'], action: 'create', resource: { kind: 'agent' }, model: 'claude-3' })).allowed).toBe(true);
  });

  test('with several roles the most generous limit wins, and a role without a limit lifts it', () => {
    const both = decide(set, request({ roles: ['ai_analyst', 'senior_analyst'], action: 'create', resource: { kind: 'agent' } }));
    expect(both.obligations.resourceLimits).toEqual({ maxTokensPerDay: 500_000, maxConcurrentAgents: 20 });
    const withAdmin = decide(set, request({ roles: ['ai_analyst', 'admin'], action: 'create', resource: { kind: 'agent' } }));
    expect(withAdmin.obligations).toEqual({ allowedModels: ['*'], resourceLimits: {} });
  });
});

test('scopes narrow a credential: outside them even admin is denied', () => {
  const set = kaizenSet();
  const scoped = (scopes: string[]) =>
    decide(set, { ...request({ action: 'execute', resource: { kind: 'agent' } }), principal: { id: 'key-1', roles: ['admin'], scopes } });
  expect(scoped(['agent:execute']).allowed).toBe(true);
  expect(scoped(['agent:*']).allowed).toBe(true);
  expect(scoped(['*']).allowed).toBe(true);
  expect(scoped([]).allowed).toBe(true);
  const excluded = scoped(['workflow:*', 'agent:read']);
  expect(excluded).toMatchObject({ allowed: false, reason: 'scope_excluded' });
  expect(excluded.explanation).toBe("denied: the credential's scopes (workflow:*, agent:read) exclude agent:execute");
});
