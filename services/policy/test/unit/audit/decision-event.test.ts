import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { DataClassification } from '@aegis/proto/aegis/common/v1/classification_pb.js';
import { Outcome } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { decisionEvent, flattenAttributes, MAX_AUDITED_ATTRIBUTES, MAX_AUDITED_VALUE_LENGTH } from '../../../src/audit/index.js';
import { decide } from '../../../src/domain/index.js';
import { kaizenSet, request } from '../domain/fixtures.js';

const subject = { type: PrincipalType.USER, id: 'u-1', userId: 'u-1', sessionId: 's-9' };

function auditOf(event: ReturnType<typeof decisionEvent>) {
  if (event.payload.case !== 'audit') throw new Error('expected an audit payload');
  return event.payload.value;
}

describe('decisionEvent', () => {
  const piiRead = request({
    roles: ['senior_analyst'],
    user: { clearance_level: 'internal', department: 'finance', address: { city: 'Berlin', street: 'Hauptstr. 1' } },
    resource: { kind: 'data', id: 'customers', attributes: { contains_pii: true, classification: 'restricted' } },
    action: 'access_confidential',
    context: { now: Date.parse('2024-03-13T10:00:00Z'), ip: '198.51.100.4', attributes: { channel: 'api' } },
    sensitiveAttributes: ['user.clearance_level', 'user.address', 'request.ip'],
  });

  test('records a denial: outcome, rule, revision, permission and who', () => {
    const decision = decide(kaizenSet(), piiRead);
    expect(decision.allowed).toBe(false);
    const event = decisionEvent({ request: piiRead, decision, subject, askedBy: 'platform/gateway' });
    const record = auditOf(event);
    expect(event.action).toBe('policy.decision');
    expect(event.source).toBe('policy');
    expect(event.outcome).toBe(Outcome.DENIED);
    expect(event.tenantId).toBe(piiRead.tenantId);
    expect(event.actor).toMatchObject({ id: 'u-1', userId: 'u-1', sessionId: 's-9' });
    expect(record.security?.decision).toMatchObject({
      allowed: false,
      permission: 'data:access_confidential',
      reason: 'DECISION_REASON_POLICY_DENY',
      matchedPolicies: ['pii_access_restriction'],
      policyRevision: BigInt(decision.revision),
    });
    expect(record.classification).toBe(DataClassification.RESTRICTED);
    expect(record.details.find((d) => d.key === 'asked_by')?.value).toBe('platform/gateway');
    expect(record.details.find((d) => d.key === 'explanation')?.value).toBe(decision.explanation);
  });

  test('masks marked values, including everything beneath a marked object and the IP', () => {
    const event = decisionEvent({ request: piiRead, decision: decide(kaizenSet(), piiRead), subject });
    const record = auditOf(event);
    const byKey = Object.fromEntries(record.resource!.attributes.map((a) => [a.key, a]));
    expect(byKey['user.clearance_level']).toMatchObject({ value: '***', masked: true });
    expect(byKey['user.address']).toMatchObject({ value: '***', masked: true });
    expect(byKey['user.address.city']).toBeUndefined();
    expect(byKey['user.department']).toMatchObject({ value: 'finance', masked: false });
    expect(byKey['data.contains_pii']).toMatchObject({ value: 'true', masked: false });
    expect(byKey['request.channel']).toMatchObject({ value: 'api', masked: false });
    expect(record.user?.ipAddress).toBe('***');
    const text = JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    for (const secret of ['Berlin', 'Hauptstr', '198.51.100.4', '"internal"']) expect(text).not.toContain(secret);
  });

  test('a masked classification is not recorded as the event classification', () => {
    const marked = { ...piiRead, sensitiveAttributes: ['data.classification'] };
    const record = auditOf(decisionEvent({ request: marked, decision: decide(kaizenSet(), marked), subject }));
    expect(record.classification).toBe(DataClassification.UNSPECIFIED);
  });

  test('records an allow with the granting role', () => {
    const allowedRequest = request({ roles: ['ai_analyst'], action: 'create', resource: { kind: 'agent' } });
    const decision = decide(kaizenSet(), allowedRequest);
    expect(decision.allowed).toBe(true);
    const event = decisionEvent({ request: allowedRequest, decision, subject });
    expect(event.outcome).toBe(Outcome.SUCCESS);
    expect(auditOf(event).security).toMatchObject({ accessGranted: true, decision: { allowed: true, matchedRole: 'ai_analyst', reason: 'DECISION_REASON_ROLE_PERMISSION' } });
  });
});

describe('flattenAttributes', () => {
  test('bounds the number of attributes and the length of values', () => {
    const many = Object.fromEntries(Array.from({ length: MAX_AUDITED_ATTRIBUTES + 10 }, (_, i) => [`a${i}`, i]));
    const flat = flattenAttributes([['data', many], ['user', { long: 'x'.repeat(10_000) }]], []);
    expect(flat).toHaveLength(MAX_AUDITED_ATTRIBUTES + 1);
    expect(flat.at(-1)).toMatchObject({ key: '_omitted', value: '11 more attributes not recorded' });
    const long = flattenAttributes([['user', { long: 'x'.repeat(10_000) }]], []);
    expect(long[0]!.value).toHaveLength(MAX_AUDITED_VALUE_LENGTH);
  });

  test('JSON-encodes non-string leaves and keeps arrays whole', () => {
    const flat = flattenAttributes([['user', { level: 3, tags: ['a', 'b'], active: false, none: null }]], []);
    expect(flat.map((a) => [a.key, a.value])).toEqual([['user.level', '3'], ['user.tags', '["a","b"]'], ['user.active', 'false'], ['user.none', 'null']]);
  });
});
