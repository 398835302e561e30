// Rows in COPY's text format: one line per row, tab-separated, `\N` for NULL, and backslash,
// tab, newline and carriage return escaped (https://www.postgresql.org/docs/current/sql-copy.html).
// The ledger sends thousands of rows per statement, so the helpers here avoid garbage.

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A text value as a COPY field. */
export function copyEscape(value: string): string {
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : value;
}

const MIN_FOUR_DIGIT_YEAR_MS = Date.parse('0000-01-01T00:00:00.000Z');
const MAX_FOUR_DIGIT_YEAR_MS = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * ISO 8601 (UTC, milliseconds) of many nearby times: Date#toISOString costs about a
 * microsecond, a sizeable share of a row; usage times of one batch share their minute, so
 * the minute's text is built once and the seconds appended.
 */
export class IsoTimes {
  private readonly minutes = new Map<number, string>();

  of(ms: number): string {
    // Outside years 0000-9999 toISOString has a six-digit, signed year: no fixed-width prefix.
    if (ms < MIN_FOUR_DIGIT_YEAR_MS || ms > MAX_FOUR_DIGIT_YEAR_MS) return new Date(ms).toISOString();
    const minute = Math.floor(ms / 60_000);
    let prefix = this.minutes.get(minute);
    if (prefix === undefined) {
      prefix = new Date(minute * 60_000).toISOString().slice(0, 17); // 2026-11-22T05:13:
      this.minutes.set(minute, prefix);
    }
    const rest = ms - minute * 60_000; // 0..59999 ms
    const seconds = Math.floor(rest / 1000);
    const millis = rest - seconds * 1000;
    return `${prefix}${seconds < 10 ? '0' : ''}${seconds}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
  }
}

/**
 * COPY text written into a growing Buffer a line at a time. Building a batch's rows as one
 * string kept about 1.4 KB of intermediate strings per ledger row alive until the end (every
 * `+` of a template is a new string), which the garbage collector then spent more time on than
 * the rows cost to build; a line written at once dies young.
 */
export class CopyBuffer {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private length = 0;

  /** One row (or several), already escaped (copyEscape) and ending in a newline. */
  line(text: string): this {
    const most = text.length * 3; // UTF-8 bytes per UTF-16 unit, at most
    if (this.length + most > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + most));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    this.length += this.buf.write(text, this.length, 'utf8');
    return this;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
