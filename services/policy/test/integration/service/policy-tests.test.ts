// PolicyTestService.RunPolicyTests through the real service (auth + policy in one process),
// on the embedded backends and on Postgres + Redis + Kafka: stored rules decide, drafts
// replace them by name without being stored, ignore_stored leaves them out, invalid input is
// InvalidArgument naming the request field, and a caller without policy:test is refused.
import { randomBytes } from 'node:crypto';
import { Code, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { DecisionReason } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import {
  PolicyTestCaseSchema,
  PolicyTestService,
  type RunPolicyTestsRequestSchema,
  type RunPolicyTestsResponse,
} from '@aegis/proto/aegis/policy/v1/policy_test_service_pb.js';
import {
  embeddedPolicyBackend,
  realPolicyBackend,
  rejection,
  startPolicy,
  TENANT,
  type PolicyBackend,
  type RunningPolicy,
} from './policy-service-harness.js';

type CaseInit = Omit<MessageInitShape<typeof PolicyTestCaseSchema>, '$typeName'>;
type RunInit = Omit<MessageInitShape<typeof RunPolicyTestsRequestSchema>, 'tenantId' | '$typeName'>;

/** A Connect transport sending the credential, if any, as a bearer token. */
function transportTo(url: string, credential?: string) {
  return createConnectTransport({
    baseUrl: url,
    httpVersion: '1.1',
    interceptors: credential === undefined ? [] : [(next) => (req) => {
      req.header.set('authorization', `Bearer ${credential}`);
      return next(req);
    }],
  });
}

const analystCreates: CaseInit = {
  name: 'analyst creates an agent',
  principal: { tenantId: TENANT, id: 'u1', roles: ['pt_analyst'] },
  action: 'create',
  resource: { kind: 'agent' },
  expectedEffect: Effect.ALLOW,
};
const developerReadsPii: CaseInit = {
  name: 'developer without clearance reads PII',
  principal: { id: 'u2', roles: ['developer'] },
  action: 'read',
  resource: { kind: 'agent', attributes: { pt_pii: true } },
  expectedEffect: Effect.DENY,
};

describe.each<[string, () => PolicyBackend]>([
  ['embedded backends', embeddedPolicyBackend],
  ['Postgres, Redis and Kafka', realPolicyBackend],
])('RunPolicyTests on %s', (_name, backend) => {
  let service: RunningPolicy;
  let tests: Client<typeof PolicyTestService>;
  const runTests = (init: RunInit): Promise<RunPolicyTestsResponse> => tests.runPolicyTests({ tenantId: TENANT, ...init });

  beforeAll(async () => {
    service = await startPolicy({ backend: backend() });
    tests = createClient(PolicyTestService, transportTo(service.policyUrl, service.adminKey));
    await service.admin.roles.createRole({ tenantId: TENANT, role: { name: 'pt_analyst', permissions: ['agent:create'], modelAccess: ['gpt-4'] } });
    await service.admin.policies.createPolicy({
      tenantId: TENANT,
      policy: { name: 'pt_pii', condition: { 'data.pt_pii': true, 'user.clearance_level': { $lt: 'confidential' } }, actions: ['*'], effect: Effect.DENY, enabled: true },
    });
    // Writes reach every instance's snapshot through change notifications: wait for them.
    const deadline = Date.now() + 5_000;
    for (;;) {
      const { passedCount } = await runTests({ cases: [analystCreates, developerReadsPii] });
      if (passedCount === 2) break;
      if (Date.now() > deadline) throw new Error('the stored role and policy never reached RunPolicyTests');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  afterAll(async () => {
    await service?.stop();
  });

  test('the stored rules decide, and each result carries its decision', async () => {
    const response = await runTests({
      cases: [analystCreates, developerReadsPii, { ...analystCreates, name: 'analyst deletes (expected wrongly)', action: 'delete' }],
    });
    expect(response.results.map((r) => [r.name, r.passed])).toEqual([
      ['analyst creates an agent', true],
      ['developer without clearance reads PII', true],
      ['analyst deletes (expected wrongly)', false],
    ]);
    expect([response.passedCount, response.failedCount]).toEqual([2, 1]);
    expect(response.results[0]?.decision).toMatchObject({ reason: DecisionReason.ROLE_PERMISSION, matchedRole: 'pt_analyst' });
    expect(response.results[0]?.decision?.revision).toBeGreaterThanOrEqual(2n);
    expect(response.results[1]?.decision).toMatchObject({ reason: DecisionReason.POLICY_DENY, matchedPolicies: ['pt_pii'] });
    expect(response.results[2]?.decision?.reason).toBe(DecisionReason.NO_MATCH);
  });

  test('drafts replace the stored role and policy of their names, and nothing is stored', async () => {
    const response = await runTests({
      draftRoles: [{ name: 'pt_analyst', permissions: ['agent:read'] }, { name: 'pt_draft_only', permissions: ['tool:*'] }],
      draftPolicies: [{ name: 'pt_pii', condition: { 'data.pt_pii': true }, actions: ['*'], effect: Effect.DENY, enabled: false }],
      cases: [
        { ...analystCreates, name: 'create no longer granted by the draft', expectedEffect: Effect.DENY },
        { ...developerReadsPii, name: 'the disabled draft lifts the deny', expectedEffect: Effect.ALLOW },
        { name: 'a new draft role', principal: { roles: ['pt_draft_only'] }, action: 'execute', resource: { kind: 'tool' }, expectedEffect: Effect.ALLOW },
      ],
    });
    expect(response.results.map((r) => r.passed)).toEqual([true, true, true]);
    // The stored rules are untouched: the same cases without drafts decide as before.
    const again = await runTests({ cases: [analystCreates, developerReadsPii] });
    expect(again.passedCount).toBe(2);
    expect((await rejection(service.admin.roles.getRole({ tenantId: TENANT, name: 'pt_draft_only' }))).code).toBe(Code.NotFound);
    expect((await service.admin.policies.getPolicy({ tenantId: TENANT, name: 'pt_pii' })).policy?.enabled).toBe(true);
  });

  test('ignore_stored tests the drafts and the built-in roles alone', async () => {
    const response = await runTests({
      ignoreStored: true,
      draftPolicies: [{ name: 'pt_office', condition: { 'time.business_hours': true }, actions: ['report:read'], effect: Effect.ALLOW, enabled: true }],
      cases: [
        { ...analystCreates, name: 'stored role left out', expectedEffect: Effect.DENY },
        { ...developerReadsPii, name: 'stored deny left out', expectedEffect: Effect.ALLOW },
        { name: 'pinned open', principal: {}, action: 'read', resource: { kind: 'report' }, context: { time: { business_hours: true } }, expectedEffect: Effect.ALLOW },
        { name: 'pinned closed', principal: {}, action: 'read', resource: { kind: 'report' }, context: { time: { business_hours: false } }, expectedEffect: Effect.DENY },
      ],
    });
    expect(response.results.map((r) => r.passed)).toEqual([true, true, true, true]);
    expect(response.results[0]?.decision?.revision).toBe(0n);
  });

  test('invalid input is InvalidArgument naming the field', async () => {
    const badPolicy = await rejection(runTests({
      draftPolicies: [{ name: 'pt_bad', condition: { 'user.level': { $below: 3 } }, actions: ['read'], effect: Effect.DENY, enabled: true }],
      cases: [analystCreates],
    }));
    expect(badPolicy.code).toBe(Code.InvalidArgument);
    expect(badPolicy.rawMessage).toMatch(/^draft_policies\[0\]\.condition\.user\.level\.\$below: unknown operator/);

    const otherTenant = await rejection(runTests({ cases: [analystCreates, { ...analystCreates, principal: { tenantId: 'acme', roles: [] } }] }));
    expect(otherTenant.code).toBe(Code.InvalidArgument);
    expect(otherTenant.rawMessage).toBe('cases[1].principal.tenant_id: must be empty or equal tenant_id');

    const several = await rejection(runTests({ draftRoles: [{ name: 'pt_r', inherits: ['pt_nobody'] }], cases: [{ ...analystCreates, action: '' }] }));
    expect(several.rawMessage).toBe('draft_roles[0].inherits[0]: unknown role "pt_nobody"; cases[0].action: must not be empty');

    const none = await rejection(runTests({ cases: [] }));
    expect(none.rawMessage).toBe('cases: must hold 1-10000 cases');
    const noTenant = await rejection(tests.runPolicyTests({ tenantId: '', cases: [analystCreates] }));
    expect(noTenant.rawMessage).toMatch(/^tenant_id: /);
  });

  test('a caller without policy:test is refused, before the request is looked at', async () => {
    const auth = transportTo(service.authUrl, service.adminKey);
    const { user } = await createClient(UserService, auth).createUser({ tenantId: TENANT, email: `viewer-${randomBytes(4).toString('hex')}@pt.test`, roles: ['viewer'] });
    const { secret } = await createClient(ApiKeyService, auth).createApiKey({ tenantId: TENANT, userId: user!.userId, name: 'policy tests' });
    const viewer = createClient(PolicyTestService, transportTo(service.policyUrl, secret));
    const refused = await rejection(viewer.runPolicyTests({ tenantId: TENANT, cases: [analystCreates] }));
    expect(refused.code).toBe(Code.PermissionDenied);
    expect(refused.rawMessage).toContain('policy:test');
    const refusedInvalid = await rejection(viewer.runPolicyTests({ tenantId: TENANT, cases: [] }));
    expect(refusedInvalid.code).toBe(Code.PermissionDenied);
    const anonymous = await rejection(createClient(PolicyTestService, transportTo(service.policyUrl)).runPolicyTests({ tenantId: TENANT, cases: [analystCreates] }));
    expect(anonymous.code).toBe(Code.Unauthenticated);
  });
});
