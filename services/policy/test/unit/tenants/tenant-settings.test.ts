// Mapping auth's TenantSettingsEvent to what the engine evaluates, and what the consumer
// keeps of a batch: the newest usable version per tenant, invalid events skipped.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { EventSchema, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import type { TenantSettingsEvent, TenantSettingsEventSchema } from '@aegis/proto/aegis/events/v1/tenant_settings_event_pb.js';
import { createLogger, encodeEvent, type ConsumedEvent } from '@aegis/shared';
import { compilePolicySet } from '../../../src/domain/index.js';
import {
  newestPerTenant,
  readTenantSettings,
  tenantSettingsFromEvent,
  TenantSettingsConsumer,
  type TenantSettings,
  type TenantSettingsWriter,
} from '../../../src/tenants/index.js';

type SettingsInit = Omit<MessageInitShape<typeof TenantSettingsEventSchema>, '$typeName'>;

function settingsEvent(tenantId: string, value: SettingsInit, id = `e-${tenantId}-${String(value.version)}`): Event {
  return create(EventSchema, {
    id, time: timestampNow(), source: 'auth', tenantId, action: 'tenant.settings_changed',
    payload: { case: 'tenantSettings', value: { tenantId, ...value } as TenantSettingsEvent },
  });
}

function consumed(event: Event | Uint8Array, offset = 0): ConsumedEvent {
  const value = event instanceof Uint8Array ? event : encodeEvent(event);
  return { topic: 'aegis.tenants.v1', key: 'k', value, headers: {}, partition: 0, offset: String(offset), timestamp: 0 };
}

describe('tenantSettingsFromEvent', () => {
  test('carries the time zone, business hours and version', () => {
    const result = tenantSettingsFromEvent(settingsEvent('acme', {
      timeZone: 'Pacific/Kiritimati', businessHours: { weekdays: [1, 2, 3, 4, 5, 6, 7], startMinute: 420, endMinute: 1320 }, version: 7n,
    }));
    expect(result).toEqual({
      kind: 'settings',
      settings: { tenantId: 'acme', version: 7n, businessHours: { timeZone: 'Pacific/Kiritimati', weekdays: [1, 2, 3, 4, 5, 6, 7], startMinute: 420, endMinute: 1320 } },
    });
  });

  test("unset business hours are auth's default, Monday-Friday 09:00-17:00, in the tenant's zone; no zone is UTC", () => {
    const berlin = tenantSettingsFromEvent(settingsEvent('acme', { timeZone: 'Europe/Berlin', version: 2n }));
    expect(berlin.kind === 'settings' && berlin.settings.businessHours).toEqual({ timeZone: 'Europe/Berlin', weekdays: [1, 2, 3, 4, 5], startMinute: 540, endMinute: 1020 });
    const none = tenantSettingsFromEvent(settingsEvent('acme', { version: 1n }));
    expect(none.kind === 'settings' && none.settings.businessHours.timeZone).toBe('UTC');
  });

  test('an unknown time zone, bad hours or no version is invalid, naming the field', () => {
    const zone = tenantSettingsFromEvent(settingsEvent('acme', { timeZone: 'Mars/Olympus_Mons', version: 3n }));
    expect(zone).toMatchObject({ kind: 'invalid', tenantId: 'acme', problems: [{ field: 'tenant_settings.business_hours.time_zone' }] });
    const hours = tenantSettingsFromEvent(settingsEvent('acme', { timeZone: 'UTC', businessHours: { weekdays: [8], startMinute: 600, endMinute: 540 }, version: 3n }));
    expect(hours.kind === 'invalid' && hours.problems.map((p) => p.field)).toEqual([
      'tenant_settings.business_hours.weekdays[0]',
      'tenant_settings.business_hours.end_minute',
    ]);
    const version = tenantSettingsFromEvent(settingsEvent('acme', { timeZone: 'UTC', version: 0n }));
    expect(version).toMatchObject({ kind: 'invalid', problems: [{ field: 'tenant_settings.version' }] });
  });

  test('settings it accepts always compile into a policy set', () => {
    const result = tenantSettingsFromEvent(settingsEvent('acme', { timeZone: 'Asia/Kolkata', businessHours: { weekdays: [7], startMinute: 0, endMinute: 1440 }, version: 1n }));
    if (result.kind !== 'settings') throw new Error('expected settings');
    const set = compilePolicySet({ tenantId: 'acme', revision: 1, roles: [], policies: [], businessHours: result.settings.businessHours });
    expect(set.tenantId).toBe('acme');
  });

  test('another payload is "other"; bytes that are no Event are invalid', () => {
    const audit = create(EventSchema, { id: 'a1', time: timestampNow(), source: 'auth', tenantId: 'acme', action: 'tenant.updated', payload: { case: 'audit', value: {} } });
    expect(tenantSettingsFromEvent(audit)).toEqual({ kind: 'other', eventId: 'a1', payload: 'audit' });
    expect(readTenantSettings(new Uint8Array([0xff, 0x01]))).toMatchObject({ kind: 'invalid', problems: [{ field: 'event' }] });
    expect(readTenantSettings(new Uint8Array())).toMatchObject({ kind: 'invalid' });
  });
});

describe('newestPerTenant', () => {
  const at = (tenantId: string, version: bigint): TenantSettings => ({ tenantId, version, businessHours: { timeZone: 'UTC', weekdays: [1], startMinute: 0, endMinute: 60 } });

  test('keeps the highest version of each tenant, whatever the order', () => {
    const kept = newestPerTenant([at('a', 2n), at('b', 1n), at('a', 5n), at('a', 3n), at('b', 4n)]);
    expect(kept.map((s) => [s.tenantId, s.version])).toEqual([['a', 5n], ['b', 4n]]);
  });
});

describe('TenantSettingsConsumer.handleBatch', () => {
  const logger = createLogger({ service: 'tenant-settings-test', level: 'silent' });

  class RecordingWriter implements TenantSettingsWriter {
    readonly applied: TenantSettings[] = [];
    failNext = false;
    async apply(settings: TenantSettings): Promise<boolean> {
      if (this.failNext) {
        this.failNext = false;
        throw new Error('database unavailable');
      }
      this.applied.push(settings);
      return true;
    }
  }

  function consumerWith(writer: TenantSettingsWriter): TenantSettingsConsumer {
    return new TenantSettingsConsumer({ events: { subscribe: () => Promise.reject(new Error('unused')) }, writer, groupId: 'g', logger });
  }

  test('writes only the newest version per tenant and skips what it cannot use, without failing the batch', async () => {
    const writer = new RecordingWriter();
    await consumerWith(writer).handleBatch([
      consumed(settingsEvent('acme', { timeZone: 'Europe/Berlin', version: 1n }), 0),
      consumed(new Uint8Array([0xff]), 1),
      consumed(settingsEvent('acme', { timeZone: 'Mars/Olympus_Mons', version: 9n }), 2),
      consumed(settingsEvent('globex', { timeZone: 'UTC', version: 4n }), 3),
      consumed(settingsEvent('acme', { timeZone: 'Asia/Tokyo', version: 2n }), 4),
    ]);
    expect(writer.applied.map((s) => [s.tenantId, s.version, s.businessHours.timeZone])).toEqual([
      ['acme', 2n, 'Asia/Tokyo'],
      ['globex', 4n, 'UTC'],
    ]);
  });

  test('a write failure rejects the batch, so the bus delivers it again', async () => {
    const writer = new RecordingWriter();
    writer.failNext = true;
    const consumer = consumerWith(writer);
    const batch = [consumed(settingsEvent('acme', { timeZone: 'UTC', version: 1n }))];
    await expect(consumer.handleBatch(batch)).rejects.toThrow('database unavailable');
    await consumer.handleBatch(batch);
    expect(writer.applied.map((s) => s.version)).toEqual([1n]);
  });

  test('joining is retried in the background until it succeeds; stop ends the retries', async () => {
    let attempts = 0;
    const stopped: string[] = [];
    const consumer = new TenantSettingsConsumer({
      events: {
        subscribe: async () => {
          attempts += 1;
          if (attempts < 3) throw new Error('broker unreachable');
          return { stop: async () => void stopped.push('handle') };
        },
      },
      writer: new RecordingWriter(),
      groupId: 'g',
      logger,
      retry: { initialDelayMs: 5, maxDelayMs: 10 },
    });
    consumer.start();
    await consumer.joined();
    expect(attempts).toBe(3);
    await consumer.stop();
    expect(stopped).toEqual(['handle']);

    const never = new TenantSettingsConsumer({
      events: { subscribe: () => Promise.reject(new Error('broker unreachable')) },
      writer: new RecordingWriter(),
      groupId: 'g',
      logger,
      retry: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    never.start();
    await never.stop(); // resolves at once: the 60 s backoff is cut short
  });

  test('stop waits for a join in flight and leaves once it lands, before it resolves', async () => {
    let land!: () => void;
    const left: string[] = [];
    const consumer = new TenantSettingsConsumer({
      events: {
        subscribe: async () => {
          await new Promise<void>((resolve) => (land = resolve));
          return { stop: async () => void left.push('left') };
        },
      },
      writer: new RecordingWriter(),
      groupId: 'g',
      logger,
    });
    consumer.start();
    await new Promise((resolve) => setImmediate(resolve));
    const stopping = consumer.stop();
    expect(left).toEqual([]);
    land();
    await stopping;
    expect(left).toEqual(['left']);
  });

  test('past its bound stop returns; a join that lands later still leaves', async () => {
    let land!: () => void;
    const left: string[] = [];
    const consumer = new TenantSettingsConsumer({
      events: {
        subscribe: async () => {
          await new Promise<void>((resolve) => (land = resolve));
          return { stop: async () => void left.push('left') };
        },
      },
      writer: new RecordingWriter(),
      groupId: 'g',
      logger,
      joinWaitOnStopMs: 20,
    });
    consumer.start();
    await consumer.stop();
    expect(left).toEqual([]);
    land();
    await consumer.joined();
    expect(left).toEqual(['left']);
  });
});
