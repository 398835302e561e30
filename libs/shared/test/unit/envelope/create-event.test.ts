import { context, createTraceState, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { Outcome } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { createEvent, InvalidEventError } from '../../../src/envelope/index.js';
import type { CreateEventInput } from '../../../src/envelope/index.js';

const usageInput = (): CreateEventInput => ({
  source: 'billing',
  tenantId: 'acme',
  actor: { type: PrincipalType.API_KEY, id: 'key-1', userId: 'user-1', apiKeyId: 'key-1' },
  action: 'usage.recorded',
  payload: {
    case: 'usage',
    value: { tenantId: 'acme', userId: 'user-1', provider: 'openai', model: 'gpt-4', tokens: { promptTokens: 12n } },
  },
});

describe('createEvent', () => {
  beforeAll(() => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });

  afterAll(() => {
    propagation.disable();
  });

  test('fills a fresh id and the current time, and keeps the given fields', () => {
    const before = Date.now();
    const first = createEvent(usageInput());
    const second = createEvent(usageInput());
    const after = Date.now();

    expect(first.id).not.toBe(second.id);
    const time = timestampDate(first.time!).getTime();
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(after);
    expect(first.source).toBe('billing');
    expect(first.tenantId).toBe('acme');
    expect(first.actor?.apiKeyId).toBe('key-1');
    expect(first.payload.case).toBe('usage');
    expect(first.payload.case === 'usage' && first.payload.value.tokens?.promptTokens).toBe(12n);
  });

  test('carries the W3C trace context of the given context', () => {
    const spanContext = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      traceState: createTraceState('vendor=value'),
    };
    const ctx = trace.setSpanContext(context.active(), spanContext);
    const event = createEvent({ ...usageInput(), context: ctx });
    expect(event.trace?.traceparent).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(event.trace?.tracestate).toBe('vendor=value');
  });

  test('has no trace context outside a span', () => {
    expect(createEvent(usageInput()).trace).toBeUndefined();
  });

  test('keeps audit outcome and payload', () => {
    const event = createEvent({
      source: 'auth',
      tenantId: 'acme',
      action: 'api_key.revoked',
      outcome: Outcome.SUCCESS,
      payload: { case: 'audit', value: { message: 'revoked', security: { accessGranted: true } } },
    });
    expect(event.outcome).toBe(Outcome.SUCCESS);
    expect(event.payload.case === 'audit' && event.payload.value.message).toBe('revoked');
  });

  test('refuses an envelope without tenant or action, naming the fields', () => {
    expect(() => createEvent({ ...usageInput(), tenantId: '', action: '' })).toThrow(InvalidEventError);
    expect(() => createEvent({ ...usageInput(), tenantId: '', action: '' })).toThrow(/tenant_id, action/);
  });

  test('refuses a usage payload of another tenant', () => {
    const input = usageInput();
    expect(() => createEvent({ ...input, tenantId: 'globex' })).toThrow(/differs from tenant_id "globex"/);
  });

  test('refuses tenant settings of another tenant', () => {
    const settings = (tenantId: string) => createEvent({
      source: 'auth', tenantId, action: 'tenant.settings_changed',
      payload: { case: 'tenantSettings', value: { tenantId: 'acme', timeZone: 'Europe/Berlin', version: 2n } },
    });
    expect(settings('acme').payload.case).toBe('tenantSettings');
    expect(() => settings('globex')).toThrow(/tenant_settings.tenant_id "acme" differs from tenant_id "globex"/);
  });
});
