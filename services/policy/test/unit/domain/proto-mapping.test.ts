import { create } from '@bufbuild/protobuf';
import { PrincipalSchema } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { DecisionReason, ResourceSchema } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import { Effect, PolicySchema } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { RoleSchema } from '@aegis/proto/aegis/policy/v1/role_pb.js';
import {
  compilePolicySet,
  decide,
  decisionRequestFromProto,
  decisionToProto,
  limitsFromProto,
  limitsToProto,
  policyDraftFromProto,
  policyFromProto,
  roleFromProto,
  validatePolicy,
} from '../../../src/domain/index.js';
import { kaizenSet } from './fixtures.js';

test('limits round-trip between the domain and the proto form', () => {
  const limits = { maxTokensPerDay: 100_000, maxExecutionTimeMs: 90_500, custom: { gpu_minutes: 30 } };
  const proto = limitsToProto(limits);
  expect(proto.maxTokensPerDay).toBe(100_000n);
  expect(proto.maxConcurrentAgents).toBeUndefined();
  expect(limitsFromProto(proto)).toEqual(limits);
});

test('a proto role and policy feed a snapshot', () => {
  const role = roleFromProto(
    create(RoleSchema, { name: 'ai_analyst', permissions: ['agent:create'], modelAccess: ['gpt-4'], resourceLimits: { maxConcurrentAgents: 5n } }),
  );
  const policy = policyFromProto(
    create(PolicySchema, { name: 'deny_pii', condition: { 'data.contains_pii': true }, actions: ['*'], effect: Effect.DENY, enabled: true }),
  );
  const set = compilePolicySet({ tenantId: 't', revision: 3, roles: [role], policies: [policy] });
  const base = { tenantId: 't', principal: { id: 'u', roles: ['ai_analyst'] }, action: 'create', context: { now: 0 } };
  expect(decide(set, { ...base, resource: { kind: 'agent' } }).obligations.resourceLimits).toEqual({ maxConcurrentAgents: 5 });
  expect(decide(set, { ...base, resource: { kind: 'agent', attributes: { contains_pii: true } } }).reason).toBe('policy_deny');
});

test('an unspecified effect is a validation error for drafts and an exception for stored policies', () => {
  const unspecified = create(PolicySchema, { name: 'p', actions: ['*'] });
  expect(validatePolicy(policyDraftFromProto(unspecified))).toEqual([{ field: 'policy.effect', description: 'must be allow or deny' }]);
  expect(() => policyFromProto(unspecified)).toThrow(/no effect/);
});

test('a decision maps to the proto Decision', () => {
  const set = kaizenSet();
  const request = decisionRequestFromProto(
    {
      tenantId: 'acme',
      principal: create(PrincipalSchema, { id: 'key-1', userId: 'alice', roles: ['ai_analyst'] }),
      action: 'create',
      resource: create(ResourceSchema, { kind: 'agent' }),
      model: 'claude-3',
      requestIp: '10.0.0.1',
      context: { time: { business_hours: true } },
    },
    Date.parse('2024-03-13T10:00:00Z'),
  );
  expect(request.principal.id).toBe('alice');
  expect(request.context.pinnedTime).toBeUndefined();
  const proto = decisionToProto(decide(set, request));
  expect(proto.effect).toBe(Effect.DENY);
  expect(proto.reason).toBe(DecisionReason.MODEL_NOT_ALLOWED);
  expect(proto.revision).toBe(7n);

  const allowed = decisionToProto(decide(set, { ...request, model: 'gpt-4' }));
  expect(allowed).toMatchObject({ effect: Effect.ALLOW, reason: DecisionReason.ROLE_PERMISSION, matchedRole: 'ai_analyst', permission: 'agent:create' });
  expect(allowed.obligations?.allowedModels).toEqual(['gpt-3.5-turbo', 'gpt-4']);
  expect(allowed.obligations?.resourceLimits?.maxTokensPerDay).toBe(100_000n);
});

test('only policy tests pin the clock from context.time', () => {
  const input = { tenantId: 't', principal: undefined, action: 'read', resource: undefined, model: '', requestIp: '', context: { time: { business_hours: true } } };
  expect(decisionRequestFromProto(input, 0, { pinTime: true }).context.pinnedTime).toEqual({ business_hours: true });
  expect(decisionRequestFromProto(input, 0).context.pinnedTime).toBeUndefined();
});
