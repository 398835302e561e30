import { invalidArgument, requireLength } from '@aegis/shared';
import type { BusinessHours } from './tenant.js';

/**
 * New tenant ids follow the contract (`Tenant.tenant_id`): 1-63 of [a-z0-9-], starting with a
 * letter or digit. Narrower than what existing ids may hold (`_` is accepted when reading, for
 * the configurable bootstrap tenant), so every new id is also a valid DNS label.
 */
const NEW_TENANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function requireNewTenantId(value: string, field = 'tenant_id'): string {
  if (!NEW_TENANT_ID.test(value)) throw invalidArgument(field, 'must be 1-63 lowercase letters, digits or "-", starting with a letter or digit');
  return value;
}

export function requireTenantName(value: string, field = 'display_name'): string {
  return requireLength(value.trim(), field, 1, 200);
}

/** Empty means UTC; otherwise an IANA zone, returned in its canonical spelling ("europe/berlin" → "Europe/Berlin"). */
export function requireTimeZone(value: string, field = 'time_zone'): string {
  const name = value.trim();
  if (name === '') return 'UTC';
  if (name.length > 64) throw invalidArgument(field, 'must be an IANA time zone name such as "Europe/Berlin"');
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    throw invalidArgument(field, 'must be an IANA time zone name such as "Europe/Berlin"');
  }
}

/** Unset means the default (null); set hours must name at least one ISO weekday and a non-empty day. */
export function requireBusinessHours(value: BusinessHours | undefined, field = 'business_hours'): BusinessHours | null {
  if (value === undefined) return null;
  if (value.weekdays.length === 0) throw invalidArgument(`${field}.weekdays`, 'must name at least one ISO weekday (1 = Monday ... 7 = Sunday)');
  value.weekdays.forEach((day, i) => {
    if (!Number.isInteger(day) || day < 1 || day > 7) throw invalidArgument(`${field}.weekdays[${i}]`, 'must be an ISO weekday, 1 (Monday) to 7 (Sunday)');
  });
  if (value.startMinute < 0 || value.startMinute > 1439) throw invalidArgument(`${field}.start_minute`, 'must be between 0 and 1439');
  if (value.endMinute < 1 || value.endMinute > 1440) throw invalidArgument(`${field}.end_minute`, 'must be between 1 and 1440');
  if (value.endMinute <= value.startMinute) throw invalidArgument(`${field}.end_minute`, 'must be after start_minute');
  return { weekdays: [...new Set(value.weekdays)].sort((a, b) => a - b), startMinute: value.startMinute, endMinute: value.endMinute };
}
