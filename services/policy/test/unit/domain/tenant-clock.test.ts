import { TenantClock } from '../../../src/domain/index.js';

test('time attributes are computed in the tenant zone, across DST', () => {
  const tokyo = new TenantClock({ timeZone: 'Asia/Tokyo', weekdays: [1, 2, 3, 4, 5], startMinute: 540, endMinute: 1080 });
  // Friday 23:30 UTC is Saturday 08:30 in Tokyo.
  expect(tokyo.at(Date.parse('2024-03-15T23:30:00Z'))).toEqual({ business_hours: false, hour: 8, minute: 30, weekday: 'saturday' });
  const newYork = new TenantClock({ timeZone: 'America/New_York', weekdays: [1, 2, 3, 4, 5], startMinute: 540, endMinute: 1020 });
  // 13:30Z is 08:30 EST in winter and 09:30 EDT in summer.
  expect(newYork.at(Date.parse('2024-01-10T13:30:00Z')).business_hours).toBe(false);
  expect(newYork.at(Date.parse('2024-07-10T13:30:00Z')).business_hours).toBe(true);
});

test('the per-minute cache never serves a stale minute', () => {
  const clock = new TenantClock({ timeZone: 'UTC', weekdays: [1, 2, 3, 4, 5], startMinute: 540, endMinute: 1020 });
  const t = Date.parse('2024-03-13T16:59:59Z');
  expect(clock.at(t).business_hours).toBe(true);
  expect(clock.at(t + 500).business_hours).toBe(true);
  expect(clock.at(t + 1000)).toMatchObject({ business_hours: false, hour: 17, minute: 0 });
  expect(clock.at(t).minute).toBe(59);
});
