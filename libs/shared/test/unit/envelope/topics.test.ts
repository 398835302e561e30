import { create } from '@bufbuild/protobuf';
import { EventSchema } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { eventKey, InvalidEventError, topicForEvent, TOPICS } from '../../../src/envelope/index.js';

describe('topics and keys', () => {
  test('topic names are the documented ones', () => {
    expect(TOPICS).toEqual({ usage: 'aegis.usage.v1', audit: 'aegis.audit.v1', alerts: 'aegis.alerts.v1', tenants: 'aegis.tenants.v1' });
  });

  test('each payload goes to its topic; checkpoints travel with audit events', () => {
    const of = (payload: Parameters<typeof create<typeof EventSchema>>[1]) => create(EventSchema, payload);
    expect(topicForEvent(of({ payload: { case: 'usage', value: {} } }))).toBe('aegis.usage.v1');
    expect(topicForEvent(of({ payload: { case: 'audit', value: {} } }))).toBe('aegis.audit.v1');
    expect(topicForEvent(of({ payload: { case: 'auditCheckpoint', value: {} } }))).toBe('aegis.audit.v1');
    expect(topicForEvent(of({ payload: { case: 'costAlert', value: {} } }))).toBe('aegis.alerts.v1');
    expect(topicForEvent(of({ payload: { case: 'tenantSettings', value: {} } }))).toBe('aegis.tenants.v1');
    expect(() => topicForEvent(of({}))).toThrow(InvalidEventError);
  });

  test('usage is keyed by tenant and user, everything else by tenant', () => {
    const usage = create(EventSchema, { tenantId: 'acme', payload: { case: 'usage', value: { userId: 'u1' } } });
    const anonymousUsage = create(EventSchema, { tenantId: 'acme', payload: { case: 'usage', value: {} } });
    const audit = create(EventSchema, { tenantId: 'acme', payload: { case: 'audit', value: {} } });
    const checkpoint = create(EventSchema, { tenantId: 'acme', payload: { case: 'auditCheckpoint', value: {} } });
    expect(eventKey(usage)).toBe('acme/u1');
    expect(eventKey(anonymousUsage)).toBe('acme');
    expect(eventKey(audit)).toBe('acme');
    expect(eventKey(checkpoint)).toBe(eventKey(audit));
    const settings = create(EventSchema, { tenantId: 'acme', payload: { case: 'tenantSettings', value: { tenantId: 'acme' } } });
    expect(eventKey(settings)).toBe('acme');
  });
});
