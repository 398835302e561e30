import type { BusinessHours, FieldViolation } from './types.js';

/** The `time.*` attributes, in the tenant's time zone. */
export interface TimeAttributes {
  business_hours: boolean;
  /** 0-23. */
  hour: number;
  /** 0-59. */
  minute: number;
  /** Lower-case English day name, e.g. "monday". */
  weekday: string;
}

export const TIME_ATTRIBUTE_NAMES: readonly string[] = ['business_hours', 'hour', 'minute', 'weekday'];

const WEEKDAYS: Record<string, { iso: number; name: string }> = {
  Mon: { iso: 1, name: 'monday' },
  Tue: { iso: 2, name: 'tuesday' },
  Wed: { iso: 3, name: 'wednesday' },
  Thu: { iso: 4, name: 'thursday' },
  Fri: { iso: 5, name: 'friday' },
  Sat: { iso: 6, name: 'saturday' },
  Sun: { iso: 7, name: 'sunday' },
};

/**
 * Local time of one tenant. Intl formatting costs microseconds, so the attributes are
 * computed once per wall-clock minute and reused by every decision in that minute (the
 * values cannot change within it).
 */
export class TenantClock {
  private readonly format: Intl.DateTimeFormat;
  private readonly workdays: ReadonlySet<number>;
  private cachedMinute = Number.NaN;
  private cached: TimeAttributes | undefined;

  /** Throws RangeError for an unknown time zone (validate with businessHoursProblems first). */
  constructor(private readonly hours: BusinessHours) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: hours.timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      hour: 'numeric',
      minute: 'numeric',
    });
    this.workdays = new Set(hours.weekdays);
  }

  at(epochMs: number): TimeAttributes {
    const minuteKey = Math.floor(epochMs / 60_000);
    if (minuteKey === this.cachedMinute && this.cached !== undefined) return this.cached;
    let weekday = 'Mon';
    let hour = 0;
    let minute = 0;
    for (const part of this.format.formatToParts(epochMs)) {
      if (part.type === 'weekday') weekday = part.value;
      else if (part.type === 'hour') hour = Number(part.value);
      else if (part.type === 'minute') minute = Number(part.value);
    }
    const day = WEEKDAYS[weekday] ?? { iso: 1, name: 'monday' };
    const minuteOfDay = hour * 60 + minute;
    const attributes: TimeAttributes = {
      business_hours:
        this.workdays.has(day.iso) && minuteOfDay >= this.hours.startMinute && minuteOfDay < this.hours.endMinute,
      hour,
      minute,
      weekday: day.name,
    };
    this.cachedMinute = minuteKey;
    this.cached = attributes;
    return attributes;
  }
}

/** What is wrong with a tenant's business hours. */
export function businessHoursProblems(hours: BusinessHours, path: string): FieldViolation[] {
  const out: FieldViolation[] = [];
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: hours.timeZone });
  } catch {
    out.push({ field: `${path}.time_zone`, description: `"${hours.timeZone}" is not an IANA time zone` });
  }
  hours.weekdays.forEach((day, i) => {
    if (!Number.isInteger(day) || day < 1 || day > 7) {
      out.push({ field: `${path}.weekdays[${i}]`, description: 'must be an ISO weekday, 1 (Monday) to 7 (Sunday)' });
    }
  });
  const minuteOk = (m: number) => Number.isInteger(m) && m >= 0 && m <= 1440;
  if (!minuteOk(hours.startMinute)) out.push({ field: `${path}.start_minute`, description: 'must be 0-1440' });
  if (!minuteOk(hours.endMinute)) out.push({ field: `${path}.end_minute`, description: 'must be 0-1440' });
  if (minuteOk(hours.startMinute) && minuteOk(hours.endMinute) && hours.startMinute >= hours.endMinute) {
    out.push({ field: `${path}.end_minute`, description: 'must be after start_minute' });
  }
  return out;
}
