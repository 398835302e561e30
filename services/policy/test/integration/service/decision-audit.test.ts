// Decision audit and admin access through the running service, on the embedded backends and on
// Postgres + Redis + Kafka: every denial reaches the audit topic with its rule and policy
// revision and with sensitive attribute values masked; allows are sampled (here: none); role
// and policy changes are recorded; callers without the admin permissions are refused.
import { randomBytes } from 'node:crypto';
import { Code, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { TenantService } from '@aegis/proto/aegis/auth/v1/tenant_service_pb.js';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { DataClassification } from '@aegis/proto/aegis/common/v1/classification_pb.js';
import { Outcome, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import {
  embeddedPolicyBackend, policyAuditEvents, principal, realPolicyBackend, rejection, startPolicy, TENANT,
  type PolicyBackend, type RunningPolicy,
} from './policy-service-harness.js';

const backends: Array<[string, () => PolicyBackend]> = [
  ['embedded', embeddedPolicyBackend],
  ['Postgres + Redis + Kafka', realPolicyBackend],
];

const audit = (event: Event) => {
  if (event.payload.case !== 'audit') throw new Error('not an audit event');
  return event.payload.value;
};

describe.each(backends)('decision audit and admin access (%s)', (_name, backend) => {
  let service: RunningPolicy;
  const run = randomBytes(4).toString('hex');

  beforeAll(async () => {
    service = await startPolicy({ backend: backend(), env: { AEGIS_POLICY_AUDIT_ALLOW_SAMPLE_RATE: '0' } });
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
  });

  /** An API key of a new user of `tenantId` holding `roles` (the bootstrap admin creates both). */
  async function keyWithRoles(tenantId: string, roles: string[]): Promise<string> {
    const transport = createConnectTransport({
      baseUrl: service.authUrl,
      httpVersion: '1.1',
      interceptors: [(next) => (req) => {
        req.header.set('authorization', `Bearer ${service.adminKey}`);
        return next(req);
      }],
    });
    const users = createClient(UserService, transport);
    const keys = createClient(ApiKeyService, transport);
    const { user } = await users.createUser({ tenantId, email: `${roles.join('-')}-${run}-${randomBytes(3).toString('hex')}@example.com`, roles });
    const { secret } = await keys.createApiKey({ tenantId, userId: user!.userId, name: `key-${randomBytes(3).toString('hex')}`, roles });
    return secret;
  }

  test('a denial is recorded with its rule, revision and masked sensitive values; an unsampled allow is not', async () => {
    const policyName = `pii_restriction_${run}`;
    await service.admin.policies.createPolicy({
      tenantId: TENANT,
      policy: {
        name: policyName,
        condition: { 'data.contains_pii': true, 'user.clearance_level': { $lt: 'confidential' } } as never,
        actions: ['read'],
        effect: Effect.DENY,
        enabled: true,
      },
    });
    const allowedId = `doc-allowed-${run}`;
    const deniedId = `doc-denied-${run}`;
    const ask = (id: string, clearance: string) => service.admin.decisions.check({
      tenantId: TENANT,
      principal: principal(['developer'], { attributes: { clearance_level: clearance, department: 'finance' } as never }),
      action: 'read',
      resource: { kind: 'workflow', id, attributes: { contains_pii: true, classification: 'confidential' } as never },
      requestIp: '192.0.2.7',
      sensitiveAttributes: ['user.clearance_level', 'request.ip'],
    }).then((r) => r.decision!);

    const allowed = await ask(allowedId, 'restricted');
    expect(allowed.effect).toBe(Effect.ALLOW);
    const denied = await ask(deniedId, 'internal');
    expect(denied.effect).toBe(Effect.DENY);

    const events = await policyAuditEvents(service.events, (seen) => seen.some((e) => audit(e).resource?.id === deniedId));
    const mine = events.filter((e) => e.action === 'policy.decision' && [allowedId, deniedId].includes(audit(e).resource?.id ?? ''));
    expect(mine.map((e) => audit(e).resource?.id)).toEqual([deniedId]);

    const event = mine[0]!;
    const record = audit(event);
    expect(event.tenantId).toBe(TENANT);
    expect(event.outcome).toBe(Outcome.DENIED);
    expect(event.actor?.id).toBe('user-developer');
    expect(record.security?.accessGranted).toBe(false);
    expect(record.security?.decision).toMatchObject({
      allowed: false,
      permission: 'workflow:read',
      reason: 'DECISION_REASON_POLICY_DENY',
      matchedPolicies: [policyName],
      policyRevision: denied.revision,
    });
    expect(record.user?.ipAddress).toBe('***');
    expect(record.classification).toBe(DataClassification.CONFIDENTIAL);
    const attributes = Object.fromEntries((record.resource?.attributes ?? []).map((a) => [a.key, { value: a.value, masked: a.masked }]));
    expect(attributes['user.clearance_level']).toEqual({ value: '***', masked: true });
    expect(attributes['user.department']).toEqual({ value: 'finance', masked: false });
    expect(attributes['data.contains_pii']).toEqual({ value: 'true', masked: false });
    // The masked value appears nowhere in the serialised event.
    expect(JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).not.toContain('internal');
  }, 60_000);

  test('CheckBatch records each denied item', async () => {
    const ids = [`batch-a-${run}`, `batch-b-${run}`, `batch-c-${run}`];
    const { decisions } = await service.admin.decisions.checkBatch({
      tenantId: TENANT,
      principal: principal(['viewer']),
      items: [
        { action: 'read', resource: { kind: 'workflow', id: ids[0]! } },
        { action: 'delete', resource: { kind: 'workflow', id: ids[1]! } },
        { action: 'create', resource: { kind: 'agent', id: ids[2]! } },
      ],
    });
    expect(decisions.map((d) => d.effect)).toEqual([Effect.ALLOW, Effect.DENY, Effect.DENY]);
    const events = await policyAuditEvents(service.events, (seen) => seen.filter((e) => ids.includes(audit(e).resource?.id ?? '')).length >= 2);
    const recorded = events.filter((e) => ids.includes(audit(e).resource?.id ?? '')).map((e) => audit(e).security?.decision?.permission).sort();
    expect(recorded).toEqual(['agent:create', 'workflow:delete']);
  }, 60_000);

  test('role changes are recorded with who made them and the revision', async () => {
    const name = `auditor_${run}`;
    const created = await service.admin.roles.createRole({ tenantId: TENANT, role: { name, permissions: ['workflow:read'] } });
    const deleted = await service.admin.roles.deleteRole({ tenantId: TENANT, name, expectedVersion: created.role!.lastChange!.version });
    const events = await policyAuditEvents(service.events, (seen) => seen.filter((e) => audit(e).resource?.id === name).length >= 2);
    const mine = events.filter((e) => audit(e).resource?.id === name);
    expect(mine.map((e) => e.action)).toEqual(['role.created', 'role.deleted']);
    expect(mine[0]!.actor?.apiKeyId).not.toBe('');
    const revisions = mine.map((e) => audit(e).details.find((d) => d.key === 'policy_revision')?.value);
    expect(revisions).toEqual([String(created.role!.lastChange!.revision), String(deleted.revision)]);
  }, 60_000);

  test('a caller without the admin permissions is refused every write, naming the permission', async () => {
    const viewer = service.clients(await keyWithRoles(TENANT, ['viewer']));
    const createRole = await rejection(viewer.roles.createRole({ tenantId: TENANT, role: { name: `nope_${run}`, permissions: ['agent:read'] } }));
    expect(createRole.code).toBe(Code.PermissionDenied);
    expect(createRole.rawMessage).toContain('role:write');
    const createPolicy = await rejection(viewer.policies.createPolicy({
      tenantId: TENANT,
      policy: { name: `nope_${run}`, condition: {} as never, actions: ['*'], effect: Effect.ALLOW, enabled: true },
    }));
    expect(createPolicy.code).toBe(Code.PermissionDenied);
    expect(createPolicy.rawMessage).toContain('policy:write');
    const deleteRole = await rejection(viewer.roles.deleteRole({ tenantId: TENANT, name: 'anything' }));
    expect(deleteRole.code).toBe(Code.PermissionDenied);
    // Nothing was written.
    expect((await rejection(service.admin.roles.getRole({ tenantId: TENANT, name: `nope_${run}` }))).code).toBe(Code.NotFound);
  }, 60_000);

  test('an administrator of another tenant cannot administer this one', async () => {
    const tenantId = `t-${run}`;
    const tenants = createClient(TenantService, createConnectTransport({
      baseUrl: service.authUrl,
      httpVersion: '1.1',
      interceptors: [(next) => (req) => {
        req.header.set('authorization', `Bearer ${service.adminKey}`);
        return next(req);
      }],
    }));
    await tenants.createTenant({ tenantId, displayName: 'Other', adminEmail: `admin-${run}@example.com` });
    const otherAdmin = service.clients(await keyWithRoles(tenantId, ['admin']));
    const err = await rejection(otherAdmin.roles.createRole({ tenantId: TENANT, role: { name: `intruder_${run}`, permissions: ['*'] } }));
    expect(err.code).toBe(Code.PermissionDenied);
    // In its own tenant the same key may.
    const own = await otherAdmin.roles.createRole({ tenantId, role: { name: `analyst_${run}`, permissions: ['workflow:read'] } });
    expect(own.role?.name).toBe(`analyst_${run}`);
  }, 60_000);
});
