// Calendar periods aligned to an IANA time zone, with Intl only (no tz library): a local
// day starts at local midnight, a week on Monday, a month on the 1st.

export type CalendarPeriod = 'day' | 'week' | 'month';

export interface Interval {
  start: Date;
  /** Exclusive; undefined = open-ended (fixed budgets without an end). */
  end: Date | undefined;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function format(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formats.set(zone, f);
  }
  return f;
}

export function isValidTimeZone(zone: string): boolean {
  if (zone === '') return false;
  try {
    format(zone);
    return true;
  } catch {
    return false;
  }
}

/** Local wall-clock fields of an instant. */
function wall(ms: number, zone: string): { y: number; m: number; d: number; h: number; min: number; s: number } {
  const parts: Record<string, number> = {};
  for (const part of format(zone).formatToParts(new Date(ms))) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return { y: parts['year']!, m: parts['month']!, d: parts['day']!, h: parts['hour']!, min: parts['minute']!, s: parts['second']! };
}

/** Offset of the zone from UTC at an instant, in ms (local = utc + offset). */
function offsetAt(ms: number, zone: string): number {
  const w = wall(ms, zone);
  const asUtc = Date.UTC(w.y, w.m - 1, w.d, w.h, w.min, w.s);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The instant of local midnight starting the given local date (or the first instant after a skipped midnight). */
function localMidnight(y: number, m: number, d: number, zone: string): number {
  const naive = Date.UTC(y, m - 1, d);
  let guess = naive - offsetAt(naive, zone);
  guess = naive - offsetAt(guess, zone);
  return guess;
}

function dateOf(utcMs: number): { y: number; m: number; d: number } {
  const date = new Date(utcMs);
  return { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate() };
}

/** The calendar period containing `at` in `zone`. */
export function periodContaining(at: Date, period: CalendarPeriod, zone: string): Interval & { end: Date } {
  const w = wall(at.getTime(), zone);
  let first: { y: number; m: number; d: number };
  let next: { y: number; m: number; d: number };
  if (period === 'day') {
    first = { y: w.y, m: w.m, d: w.d };
    next = dateOf(Date.UTC(w.y, w.m - 1, w.d + 1));
  } else if (period === 'week') {
    const weekday = (new Date(Date.UTC(w.y, w.m - 1, w.d)).getUTCDay() + 6) % 7; // Monday = 0
    first = dateOf(Date.UTC(w.y, w.m - 1, w.d - weekday));
    next = dateOf(Date.UTC(w.y, w.m - 1, w.d - weekday + 7));
  } else {
    first = { y: w.y, m: w.m, d: 1 };
    next = dateOf(Date.UTC(w.y, w.m, 1));
  }
  const start = localMidnight(first.y, first.m, first.d, zone);
  return { start: new Date(start), end: new Date(localMidnight(next.y, next.m, next.d, zone)) };
}
