import { create, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { EventSchema, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { UsageEventSchema } from '@aegis/proto/aegis/events/v1/usage_event_pb.js';
import { decodeEvent } from '@aegis/shared';
import fc from 'fast-check';
import { copyEscape, CopyBuffer, IsoTimes } from '../../src/usage/copy-text.js';
import { entryFromEvent } from '../../src/usage/usage-entry.js';
import { fastUsageEntry } from '../../src/usage/usage-wire.js';

function usageEvent(usage: Omit<MessageInitShape<typeof UsageEventSchema>, '$typeName'> = {}, envelope: Partial<Omit<Event, 'payload' | '$typeName'>> = {}): Event {
  return create(EventSchema, {
    id: '0193a7c2-0000-7000-8000-000000000001', time: timestampFromDate(new Date('2026-03-01T10:00:00.123Z')), source: 'gateway', tenantId: 't1', action: 'usage.recorded',
    ...envelope,
    payload: {
      case: 'usage',
      value: create(UsageEventSchema, {
        tenantId: 't1', userId: 'u1', apiKeyId: 'k1', provider: 'OpenAI', model: 'gpt-4o', requestId: 'r1',
        tokens: { promptTokens: 1000n, completionTokens: 200n, cachedPromptTokens: 100n, cacheWriteTokens: 5n, reasoningTokens: 7n },
        occurTime: timestampFromDate(new Date('2026-03-01T09:59:58.456Z')), estimated: true, reservationId: 'res', agentId: 'agent',
        ...usage,
      }),
    },
  });
}

/** What the protobuf-es path makes of the bytes (entry, problem, or a thrown error). */
function slowPath(bytes: Uint8Array): unknown {
  try {
    return entryFromEvent(decodeEvent(bytes));
  } catch (err) {
    return { thrown: (err as Error).message };
  }
}

describe('usage wire fast path', () => {
  test('decodes the common shape exactly as protobuf-es does', () => {
    const bytes = toBinary(EventSchema, usageEvent());
    const fast = fastUsageEntry(bytes);
    expect(fast).toEqual(slowPath(bytes));
    expect(fast?.provider).toBe('openai');
    expect(fast?.occurTime.toISOString()).toBe('2026-03-01T09:59:58.456Z');
  });

  test('falls back to the event time when the usage has no occur_time', () => {
    const bytes = toBinary(EventSchema, usageEvent({ occurTime: undefined }));
    expect(fastUsageEntry(bytes)?.occurTime.toISOString()).toBe('2026-03-01T10:00:00.123Z');
    expect(fastUsageEntry(bytes)).toEqual(slowPath(bytes));
  });

  test('leaves every unusual or invalid message to the full decoder', () => {
    const unusual: Uint8Array[] = [
      new Uint8Array(),
      new Uint8Array([0xff, 0xff, 0xff]),
      toBinary(EventSchema, usageEvent({ tenantId: 'other' })),
      toBinary(EventSchema, usageEvent({ provider: '' })),
      toBinary(EventSchema, usageEvent({ tokens: { promptTokens: 10n, cachedPromptTokens: 11n } })),
      toBinary(EventSchema, usageEvent({ tokens: { promptTokens: -1n } })),
      toBinary(EventSchema, usageEvent({ tokens: { promptTokens: 2n ** 60n } })),
      toBinary(EventSchema, usageEvent({ userId: 'ünïcode' })),
      toBinary(EventSchema, usageEvent({ userId: 'nul\u0000' })),
      toBinary(EventSchema, usageEvent({}, { id: '' })),
      toBinary(EventSchema, usageEvent({}, { time: undefined })),
      toBinary(EventSchema, create(EventSchema, { id: 'x', time: timestampFromDate(new Date()), source: 's', tenantId: 't1', action: 'a', payload: { case: 'audit', value: {} } })),
      // An unknown field (number 99, varint): protobuf-es keeps it; the fast path does not know it.
      new Uint8Array([...toBinary(EventSchema, usageEvent()), 0x98, 0x06, 0x01]),
    ];
    for (const bytes of unusual) expect(fastUsageEntry(bytes)).toBeUndefined();
  });

  test('never accepts what the full decoder refuses, never differs on what it accepts (random events)', () => {
    const text = fc.string({ maxLength: 12 });
    const count = fc.bigInt({ min: 0n, max: 2n ** 54n });
    fc.assert(fc.property(text, text, text, count, count, count, count, count, fc.boolean(), (tenant, user, model, p, c, cp, cw, r, estimated) => {
      const bytes = toBinary(EventSchema, usageEvent(
        { tenantId: tenant, userId: user, model, estimated, tokens: { promptTokens: p, completionTokens: c, cachedPromptTokens: cp, cacheWriteTokens: cw, reasoningTokens: r } },
        { tenantId: tenant || 't' }));
      const fast = fastUsageEntry(bytes);
      const slow = slowPath(bytes);
      if (fast !== undefined) expect(fast).toEqual(slow);
    }), { numRuns: 500 });
  });
});

describe('COPY text', () => {
  test('escapes the characters COPY treats specially', () => {
    expect(['a\tb', 'c\\d', 'e\nf\r', 'plain'].map(copyEscape)).toEqual(['a\\tb', 'c\\\\d', 'e\\nf\\r', 'plain']);
  });

  test('the buffer grows past its first allocation and keeps UTF-8 intact', () => {
    const out = new CopyBuffer();
    const lines = Array.from({ length: 5_000 }, (_, i) => `${i}\tünïcødé-${'x'.repeat(i % 40)}\n`);
    for (const line of lines) out.line(line);
    expect(Buffer.from(out.bytes()).toString('utf8')).toBe(lines.join(''));
  });

  test('ISO times equal Date#toISOString, including outside four-digit years', () => {
    const times = new IsoTimes();
    fc.assert(fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
      expect(times.of(ms)).toBe(new Date(ms).toISOString());
    }), { numRuns: 2000 });
    for (const ms of [0, 59_999, 60_000, -1, Date.parse('2026-11-22T05:13:09.007Z')]) expect(times.of(ms)).toBe(new Date(ms).toISOString());
  });
});
