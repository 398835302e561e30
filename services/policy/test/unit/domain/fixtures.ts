import { compilePolicySet, type CompiledPolicySet, type DecisionRequest, type PolicyDefinition, type RoleDefinition } from '../../../src/domain/index.js';

// The Kaizen plan's roles and ABAC policies, written in Aegis permission syntax.

export const AI_ANALYST: RoleDefinition = {
  name: 'ai_analyst',
  permissions: ['agent:create', 'workflow:execute', 'data:access_public'],
  modelAccess: ['gpt-3.5-turbo', 'gpt-4'],
  resourceLimits: { maxTokensPerDay: 100_000, maxConcurrentAgents: 5 },
  inherits: [],
};

/** Kaizen lists senior_analyst's permissions in full; here it includes ai_analyst and adds the rest. */
export const SENIOR_ANALYST: RoleDefinition = {
  name: 'senior_analyst',
  permissions: ['data:access_confidential', 'team_agent:manage'],
  modelAccess: ['gpt-3.5-turbo', 'gpt-4', 'claude-3'],
  resourceLimits: { maxTokensPerDay: 500_000, maxConcurrentAgents: 20 },
  inherits: ['ai_analyst'],
};

export const FINANCIAL_DATA_ACCESS: PolicyDefinition = {
  name: 'financial_data_access',
  condition: { 'user.department': 'finance', 'data.classification': 'financial', 'time.business_hours': true },
  actions: ['read', 'analyze'],
  effect: 'allow',
};

export const PII_ACCESS_RESTRICTION: PolicyDefinition = {
  name: 'pii_access_restriction',
  condition: { 'data.contains_pii': true, 'user.clearance_level': { $lt: 'confidential' } },
  actions: ['*'],
  effect: 'deny',
};

export const TENANT = 'acme';

export function kaizenSet(overrides: { policies?: PolicyDefinition[]; roles?: RoleDefinition[] } = {}): CompiledPolicySet {
  return compilePolicySet({
    tenantId: TENANT,
    revision: 7,
    roles: overrides.roles ?? [AI_ANALYST, SENIOR_ANALYST],
    policies: overrides.policies ?? [FINANCIAL_DATA_ACCESS, PII_ACCESS_RESTRICTION],
    // Frankfurt office: Monday-Friday 09:00-17:00 local time.
    businessHours: { timeZone: 'Europe/Berlin', weekdays: [1, 2, 3, 4, 5], startMinute: 9 * 60, endMinute: 17 * 60 },
  });
}

/** A request with sensible defaults; `at` is an ISO instant. */
export function request(fields: Partial<DecisionRequest> & { roles?: string[]; at?: string; user?: DecisionRequest['principal']['attributes'] } = {}): DecisionRequest {
  const { roles, at, user, ...rest } = fields;
  return {
    tenantId: TENANT,
    principal: { id: 'analyst@company.com', roles: roles ?? [], attributes: user },
    action: 'read',
    resource: { kind: 'dataset', id: 'ds-1' },
    context: { now: Date.parse(at ?? '2024-03-13T10:00:00Z') },
    ...rest,
  };
}
