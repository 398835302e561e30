// Key messages survive binary and canonical-JSON round trips unchanged,
// including int64 money beyond 2^53 and the event envelope's payload oneof.
import { create, equals, fromBinary, fromJson, toBinary, toJson } from '@bufbuild/protobuf';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { MoneySchema } from '@aegis/proto/aegis/common/v1/money_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { EventSchema, Outcome } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { ModelPriceSchema } from '@aegis/proto/aegis/billing/v1/price_pb.js';
import { CheckRequestSchema } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { ContentSchema } from '@aegis/proto/aegis/pii/v1/content_pb.js';
import { DataClassification } from '@aegis/proto/aegis/common/v1/classification_pb.js';

function roundTrips<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): void {
  const viaBinary = fromBinary(schema, toBinary(schema, message));
  expect(equals(schema, viaBinary, message)).toBe(true);
  const json = JSON.parse(JSON.stringify(toJson(schema, message)));
  const viaJson = fromJson(schema, json);
  expect(equals(schema, viaJson, message)).toBe(true);
}

describe('round trips', () => {
  test('Money keeps every nano of an int64 beyond 2^53, as a JSON string', () => {
    const money = create(MoneySchema, { currencyCode: 'USD', amountNanos: 9_007_199_254_740_993n });
    roundTrips(MoneySchema, money);
    expect(toJson(MoneySchema, money)).toEqual({ currencyCode: 'USD', amountNanos: '9007199254740993' });
  });

  test('ModelPrice keeps the plan price and optional prices distinguish unset from zero', () => {
    const price = create(ModelPriceSchema, {
      tenantId: 'aegis',
      provider: 'openai',
      model: 'gpt-3.5-turbo',
      currencyCode: 'USD',
      promptNanosPerMillion: 1_500_000_000n, // $0.0015 per 1K tokens
      completionNanosPerMillion: 2_000_000_000n,
      cachedPromptNanosPerMillion: 0n,
      effectiveTime: timestampFromDate(new Date('2026-01-30T00:00:00Z')),
    });
    roundTrips(ModelPriceSchema, price);
    const decoded = fromBinary(ModelPriceSchema, toBinary(ModelPriceSchema, price));
    expect(decoded.cachedPromptNanosPerMillion).toBe(0n);
    expect(decoded.reasoningNanosPerMillion).toBeUndefined();
  });

  test('Event with a usage payload', () => {
    const event = create(EventSchema, {
      id: '01900000-0000-7000-8000-000000000001',
      time: timestampFromDate(new Date('2026-01-30T10:30:00Z')),
      source: 'billing',
      tenantId: 'acme',
      actor: { type: PrincipalType.API_KEY, id: 'key-1', userId: 'user-1', apiKeyId: 'key-1' },
      action: 'usage.recorded',
      trace: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      payload: {
        case: 'usage',
        value: {
          tenantId: 'acme',
          userId: 'user-1',
          apiKeyId: 'key-1',
          provider: 'openai',
          model: 'gpt-4',
          tokens: { promptTokens: 1200n, completionTokens: 300n, cachedPromptTokens: 200n, reasoningTokens: 50n },
          requestId: 'req-1',
          estimated: true,
        },
      },
    });
    roundTrips(EventSchema, event);
    const json = toJson(EventSchema, event) as Record<string, unknown>;
    expect(Object.keys(json)).toContain('usage');
    expect((json.usage as { tokens: unknown }).tokens).toEqual({
      promptTokens: '1200',
      completionTokens: '300',
      cachedPromptTokens: '200',
      reasoningTokens: '50',
    });
  });

  test('Event with an audit payload keeps hash bytes (base64 in JSON) and enum names', () => {
    const hash = new Uint8Array(32).map((_, i) => i);
    const event = create(EventSchema, {
      id: '01900000-0000-7000-8000-000000000002',
      source: 'auth',
      tenantId: 'acme',
      action: 'api_key.revoked',
      outcome: Outcome.SUCCESS,
      payload: {
        case: 'audit',
        value: {
          user: { userId: 'user-1', ipAddress: '192.0.2.1' },
          execution: { tokens: { promptTokens: 1n }, cost: { currencyCode: 'USD', amountNanos: 45_000_000n } },
          data: { piiDetected: true, pii: [{ type: 'email', count: 2n }] },
          security: { accessGranted: true, permissionsUsed: ['api_key:revoke'] },
          classification: DataClassification.CONFIDENTIAL,
          integrity: { producerId: 'auth/1', sequence: 7n, prevHash: new Uint8Array(32), hash },
        },
      },
    });
    roundTrips(EventSchema, event);
    const json = toJson(EventSchema, event) as { outcome: string; audit: Record<string, unknown> };
    expect(json.outcome).toBe('OUTCOME_SUCCESS');
    expect(json.audit.classification).toBe('DATA_CLASSIFICATION_CONFIDENTIAL');
    expect((json.audit.integrity as { hash: string }).hash).toBe(Buffer.from(hash).toString('base64'));
  });

  test('the envelope oneof decodes to exactly the payload that was sent', () => {
    const alert = create(EventSchema, {
      id: 'e3',
      tenantId: 'acme',
      payload: { case: 'costAlert', value: { alertId: 'a1', threshold: { case: 'thresholdPercent', value: 80 } } },
    });
    const decoded = fromBinary(EventSchema, toBinary(EventSchema, alert));
    expect(decoded.payload.case).toBe('costAlert');
    if (decoded.payload.case !== 'costAlert') throw new Error('unreachable');
    expect(decoded.payload.value.threshold).toEqual({ case: 'thresholdPercent', value: 80 });
  });

  test('policy CheckRequest carries ABAC attributes as JSON objects', () => {
    const json = {
      tenantId: 'acme',
      principal: { tenantId: 'acme', roles: ['ai_analyst'], attributes: { department: 'finance', clearance_level: 'internal' } },
      action: 'read',
      resource: { kind: 'document', id: 'd1', attributes: { classification: 'financial', contains_pii: true } },
    };
    const request = fromJson(CheckRequestSchema, json);
    roundTrips(CheckRequestSchema, request);
    expect(toJson(CheckRequestSchema, request)).toEqual(json);
  });

  test('pii Content takes structured JSON input', () => {
    const content = fromJson(ContentSchema, { json: { customer: { emails: ['a@example.com'] } } });
    roundTrips(ContentSchema, content);
    expect(content.kind.case).toBe('json');
  });
});
