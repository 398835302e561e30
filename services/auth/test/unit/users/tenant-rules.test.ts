import { AegisError } from '@aegis/shared';
import { updateTenant } from '../../../src/users/domain/tenant-changes.js';
import { requireBusinessHours, requireNewTenantId, requireTenantName, requireTimeZone } from '../../../src/users/domain/tenant-input.js';
import type { StoredTenant } from '../../../src/users/domain/tenant.js';

function refusedWith(kind: string, fn: () => unknown): AegisError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AegisError && err.kind === kind) return err;
    throw err;
  }
  throw new Error(`expected ${kind}`);
}

const T = new Date('2025-06-01T12:00:00Z');
const tenant = (over: Partial<StoredTenant> = {}): StoredTenant => ({
  id: 'acme', displayName: 'Acme', timeZone: 'UTC', businessHours: null, disabledAt: null, version: 2n, createTime: T, updateTime: T, ...over,
});

describe('tenant input', () => {
  test('new tenant ids follow the contract: [a-z0-9-], 1-63, starting with a letter or digit', () => {
    for (const ok of ['acme', 'a', '9lives', 'acme-eu-1', 'x'.repeat(63)]) expect(requireNewTenantId(ok)).toBe(ok);
    for (const bad of ['', '-acme', 'Acme', 'acme_eu', 'x'.repeat(64), 'acme.eu']) refusedWith('invalid_argument', () => requireNewTenantId(bad));
  });

  test('time zones: empty is UTC, IANA names are canonicalised, others refused', () => {
    expect(requireTimeZone('')).toBe('UTC');
    expect(requireTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(requireTimeZone('America/New_York')).toBe('America/New_York');
    for (const bad of ['Mars/Olympus', 'GMT+25', 'x'.repeat(65)]) expect(refusedWith('invalid_argument', () => requireTimeZone(bad)).field).toBe('time_zone');
  });

  test('business hours: unset is the default; set hours are checked and weekdays sorted', () => {
    expect(requireBusinessHours(undefined)).toBeNull();
    expect(requireBusinessHours({ weekdays: [5, 1, 3, 1], startMinute: 540, endMinute: 1020 })).toEqual({ weekdays: [1, 3, 5], startMinute: 540, endMinute: 1020 });
    expect(refusedWith('invalid_argument', () => requireBusinessHours({ weekdays: [], startMinute: 0, endMinute: 60 })).field).toBe('business_hours.weekdays');
    expect(refusedWith('invalid_argument', () => requireBusinessHours({ weekdays: [8], startMinute: 0, endMinute: 60 })).field).toBe('business_hours.weekdays[0]');
    expect(refusedWith('invalid_argument', () => requireBusinessHours({ weekdays: [1], startMinute: 1440, endMinute: 1440 })).field).toBe('business_hours.start_minute');
    expect(refusedWith('invalid_argument', () => requireBusinessHours({ weekdays: [1], startMinute: 600, endMinute: 600 })).field).toBe('business_hours.end_minute');
    expect(requireBusinessHours({ weekdays: [7], startMinute: 0, endMinute: 1440 })).toEqual({ weekdays: [7], startMinute: 0, endMinute: 1440 });
  });

  test('tenant names are 1-200 characters', () => {
    expect(requireTenantName(' Acme ')).toBe('Acme');
    refusedWith('invalid_argument', () => requireTenantName('  '));
  });
});

describe('updateTenant', () => {
  const update = { displayName: 'Acme Corp', timeZone: 'Europe/Berlin', businessHours: null, disabled: false, expectedVersion: 0n };

  test('replaces the mutable fields', () => {
    expect(updateTenant(update, { platform: false })(tenant())).toEqual({ displayName: 'Acme Corp', timeZone: 'Europe/Berlin', businessHours: null, disabled: false });
  });

  test('only a platform operator switches `disabled`; sending the current value is fine for anyone', () => {
    expect(refusedWith('permission_denied', () => updateTenant({ ...update, disabled: true }, { platform: false })(tenant())).message).toContain('platform operator');
    expect(refusedWith('permission_denied', () => updateTenant(update, { platform: false })(tenant({ disabledAt: T })))).toBeDefined();
    expect(updateTenant({ ...update, disabled: true }, { platform: false })(tenant({ disabledAt: T })).disabled).toBe(true);
    expect(updateTenant({ ...update, disabled: true }, { platform: true })(tenant()).disabled).toBe(true);
  });

  test('a stale expected_version is Aborted', () => {
    refusedWith('aborted', () => updateTenant({ ...update, expectedVersion: 1n }, { platform: true })(tenant()));
  });
});
