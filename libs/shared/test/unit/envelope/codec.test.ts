import { equals, toBinary } from '@bufbuild/protobuf';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { EventSchema } from '@aegis/proto/aegis/events/v1/event_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import {
  createEvent,
  decodeEvent,
  encodeEvent,
  eventFromJson,
  eventToJson,
  InvalidEventError,
} from '../../../src/envelope/index.js';

function auditEvent(): Event {
  return createEvent({
    source: 'auth',
    tenantId: 'acme',
    action: 'api_key.created',
    payload: {
      case: 'audit',
      value: {
        execution: { cost: { currencyCode: 'USD', amountNanos: 9_007_199_254_740_993n } },
        integrity: { producerId: 'auth/1', sequence: 1n, prevHash: new Uint8Array(32), hash: new Uint8Array(32).fill(7) },
      },
    },
  });
}

describe('binary codec', () => {
  test('decode(encode(e)) equals e', () => {
    const event = auditEvent();
    const decoded = decodeEvent(encodeEvent(event));
    expect(equals(EventSchema, decoded, event)).toBe(true);
  });

  test('garbage bytes are an InvalidEventError', () => {
    expect(() => decodeEvent(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toThrow(InvalidEventError);
  });

  test('an empty message (e.g. a tombstone) is not an event', () => {
    expect(() => decodeEvent(new Uint8Array())).toThrow(/lacks id, time, source, tenant_id, action, payload/);
  });

  test('encode refuses an invalid envelope rather than publish it', () => {
    const event = auditEvent();
    event.payload = { case: undefined };
    expect(() => encodeEvent(event)).toThrow(/lacks payload/);
  });

  test('fields added by a newer producer survive decode and re-encode', () => {
    const event = auditEvent();
    const bytes = encodeEvent(event);
    // Field 99, wire type 2 (length-delimited), 3 bytes "new".
    const future = new Uint8Array([...bytes, 0x9a, 0x06, 0x03, 0x6e, 0x65, 0x77]);
    const decoded = decodeEvent(future);
    expect(Buffer.from(toBinary(EventSchema, decoded))).toEqual(Buffer.from(future));
  });
});

describe('JSON codec', () => {
  test('eventFromJson(eventToJson(e)) equals e, from an object and from text', () => {
    const event = auditEvent();
    const json = eventToJson(event);
    expect(equals(EventSchema, eventFromJson(json), event)).toBe(true);
    expect(equals(EventSchema, eventFromJson(JSON.stringify(json)), event)).toBe(true);
  });

  test('uses the canonical mapping: camelCase, int64 as string, bytes as base64', () => {
    const json = eventToJson(auditEvent()) as {
      tenantId: string;
      audit: { execution: { cost: { amountNanos: string } }; integrity: { hash: string } };
    };
    expect(json.tenantId).toBe('acme');
    expect(json.audit.execution.cost.amountNanos).toBe('9007199254740993');
    expect(json.audit.integrity.hash).toBe(Buffer.alloc(32, 7).toString('base64'));
  });

  test('ignores fields it does not know', () => {
    const json = { ...eventToJson(auditEvent()), addedLater: { x: 1 } };
    expect(eventFromJson(json).action).toBe('api_key.created');
  });

  test('rejects text that is not JSON, and JSON that is not an event', () => {
    expect(() => eventFromJson('{not json')).toThrow(InvalidEventError);
    expect(() => eventFromJson({ id: 'x', time: 'yesterday' })).toThrow(InvalidEventError);
    expect(() => eventFromJson({})).toThrow(/lacks id/);
  });

  test('a hand-written JSON event from another language parses', () => {
    const event = eventFromJson({
      id: '0190e7a4-0000-7000-8000-000000000000',
      time: '2026-01-30T10:30:00Z',
      source: 'gateway',
      tenantId: 'acme',
      actor: { type: 'PRINCIPAL_TYPE_USER', id: 'user-1' },
      action: 'usage.recorded',
      usage: { tenantId: 'acme', provider: 'openai', model: 'gpt-4', tokens: { promptTokens: 1200, completionTokens: '300' } },
    });
    expect(event.payload.case === 'usage' && event.payload.value.tokens?.completionTokens).toBe(300n);
    expect(event.actor?.type).toBe(PrincipalType.USER);
  });
});
