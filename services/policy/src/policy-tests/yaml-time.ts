import { businessHoursProblems, DEFAULT_BUSINESS_HOURS, TenantClock, type BusinessHours } from '../domain/index.js';
import type { YamlSource } from './yaml-source.js';
import { fieldsOf, readString, type Field } from './yaml-values.js';

// A file's `business_hours:`: the working week its `now` values are read in. A test file
// cannot know the tenant's settings (offline there are none), so it states the week it
// assumes; without it, the engine's default, Monday-Friday 09:00-17:00 UTC.

const HOURS_FIELDS = ['time_zone', 'weekdays', 'start', 'end'];
const CLOCK_TIME = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;

export function readBusinessHours(src: YamlSource, field: Field | undefined): BusinessHours {
  if (field === undefined || field.value === null) return DEFAULT_BUSINESS_HOURS;
  const fields = fieldsOf(src, field.value, field.path, HOURS_FIELDS);
  if (fields === undefined) return DEFAULT_BUSINESS_HOURS;
  const hours: BusinessHours = {
    timeZone: readString(src, fields.get('time_zone'), { required: true }) ?? DEFAULT_BUSINESS_HOURS.timeZone,
    weekdays: readWeekdays(src, fields.get('weekdays')) ?? DEFAULT_BUSINESS_HOURS.weekdays,
    startMinute: readClockTime(src, fields.get('start')) ?? DEFAULT_BUSINESS_HOURS.startMinute,
    endMinute: readClockTime(src, fields.get('end')) ?? DEFAULT_BUSINESS_HOURS.endMinute,
  };
  const names: Record<string, string> = { time_zone: 'time_zone', weekdays: 'weekdays', start_minute: 'start', end_minute: 'end' };
  for (const problem of businessHoursProblems(hours, '')) {
    const [name = '', ...rest] = problem.field.slice(1).split(/(?=\[)/);
    src.problem([...field.path, names[name] ?? name, ...rest.map((r) => Number(r.slice(1, -1)))], problem.description);
  }
  return hours;
}

/** The clock of a working week; the default one for an invalid week (already reported). */
export function clockFor(hours: BusinessHours): TenantClock {
  return new TenantClock(businessHoursProblems(hours, '').length > 0 ? DEFAULT_BUSINESS_HOURS : hours);
}

function readWeekdays(src: YamlSource, field: Field | undefined): number[] | undefined {
  if (field === undefined) return undefined;
  if (Array.isArray(field.value) && field.value.every((d) => typeof d === 'number')) return field.value as number[];
  src.problem(field.path, 'must be a list of ISO weekdays, 1 (Monday) to 7 (Sunday)');
  return undefined;
}

/** "09:00" as minutes after midnight ("24:00" ends the day). */
function readClockTime(src: YamlSource, field: Field | undefined): number | undefined {
  if (field === undefined) return undefined;
  const match = typeof field.value === 'string' ? CLOCK_TIME.exec(field.value) : null;
  if (match === null) {
    src.problem(field.path, 'must be a time of day "HH:MM", e.g. "09:00"');
    return undefined;
  }
  return match[1] === undefined ? 24 * 60 : Number(match[1]) * 60 + Number(match[2]);
}
