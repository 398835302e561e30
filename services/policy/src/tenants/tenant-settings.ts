import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { decodeEvent } from '@aegis/shared';
import { businessHoursProblems } from '../domain/index.js';
import type { BusinessHours, FieldViolation } from '../domain/index.js';

/** A tenant's settings as policy keeps them: what `time.*` attributes are computed from. */
export interface TenantSettings {
  tenantId: string;
  /** Business hours with the tenant's time zone; auth's default already applied. */
  businessHours: BusinessHours;
  /** auth's Tenant.version: only a higher one replaces what is stored. */
  version: bigint;
}

export type ReadResult =
  | { kind: 'settings'; settings: TenantSettings }
  /** Not a tenant settings event (another payload on the topic): nothing to do. */
  | { kind: 'other'; eventId: string; payload: string | undefined }
  /** A settings event policy cannot use (unknown time zone, bad hours, no version): skipped. */
  | { kind: 'invalid'; eventId?: string; tenantId?: string; problems: readonly FieldViolation[] };

/** auth's contract: unset business hours mean Monday-Friday 09:00-17:00 in the tenant's zone. */
const DEFAULT_WEEKDAYS = [1, 2, 3, 4, 5];
const DEFAULT_START_MINUTE = 9 * 60;
const DEFAULT_END_MINUTE = 17 * 60;

/** One consumed Kafka value. Never throws: whatever cannot be used is reported, not raised. */
export function readTenantSettings(value: Uint8Array): ReadResult {
  let event: Event;
  try {
    event = decodeEvent(value);
  } catch (err) {
    return { kind: 'invalid', problems: [{ field: 'event', description: err instanceof Error ? err.message : 'is not an aegis.events.v1.Event' }] };
  }
  return tenantSettingsFromEvent(event);
}

export function tenantSettingsFromEvent(event: Event): ReadResult {
  if (event.payload.case !== 'tenantSettings') return { kind: 'other', eventId: event.id, payload: event.payload.case };
  const payload = event.payload.value;
  const hours = payload.businessHours;
  const businessHours: BusinessHours = {
    timeZone: payload.timeZone === '' ? 'UTC' : payload.timeZone,
    weekdays: hours === undefined ? DEFAULT_WEEKDAYS : [...hours.weekdays],
    startMinute: hours === undefined ? DEFAULT_START_MINUTE : hours.startMinute,
    endMinute: hours === undefined ? DEFAULT_END_MINUTE : hours.endMinute,
  };
  // The same check the engine compiles with: stored settings always compile.
  const problems = businessHoursProblems(businessHours, 'tenant_settings.business_hours');
  if (payload.version <= 0n) problems.push({ field: 'tenant_settings.version', description: 'must be positive' });
  if (problems.length > 0) return { kind: 'invalid', eventId: event.id, tenantId: event.tenantId, problems };
  return { kind: 'settings', settings: { tenantId: event.tenantId, businessHours, version: payload.version } };
}

/** The highest version of each tenant: what a batch leaves behind, in one write per tenant. */
export function newestPerTenant(settings: Iterable<TenantSettings>): TenantSettings[] {
  const newest = new Map<string, TenantSettings>();
  for (const s of settings) {
    const known = newest.get(s.tenantId);
    if (known === undefined || s.version > known.version) newest.set(s.tenantId, s);
  }
  return [...newest.values()];
}
