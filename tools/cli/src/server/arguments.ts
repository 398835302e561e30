// Parsing of the value syntaxes several commands share; each throws a UsageError naming the flag.
import { timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import type { JsonValue } from '@bufbuild/protobuf';
import { parseDurationSeconds } from '../output/values.js';
import { UsageError } from './server-command.js';

/** `key=value` pairs; values that read as JSON (numbers, true, "quoted") are taken as JSON. */
export function keyValues(flag: string, items: readonly string[], parseJson: boolean): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const item of items) {
    const at = item.indexOf('=');
    if (at <= 0) throw new UsageError(`--${flag} must be name=value, got "${item}"`);
    const raw = item.slice(at + 1);
    out[item.slice(0, at)] = parseJson ? jsonOrString(raw) : raw;
  }
  return out;
}

function jsonOrString(raw: string): JsonValue {
  try {
    return JSON.parse(raw) as JsonValue;
  } catch {
    return raw;
  }
}

/** An RFC 3339 time, or a duration from now (`30d`, `12h`). */
export function futureTime(flag: string, text: string, now = Date.now()): Timestamp {
  const seconds = parseDurationSeconds(text);
  if (seconds !== undefined) return timestampFromDate(new Date(now + Number(seconds) * 1000));
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) throw new UsageError(`--${flag} must be an RFC 3339 time (2026-01-31T12:00:00Z), a date (2026-01-31) or a duration from now (30d, 12h)`);
  return instant(flag, text);
}

/** An RFC 3339 time (`2026-01-31T00:00:00Z`) or a date (`2026-01-31`, UTC midnight). */
export function instant(flag: string, text: string): Timestamp {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00Z`) : /^\d{4}-\d{2}-\d{2}T/.test(text) ? new Date(text) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--${flag} must be an RFC 3339 time (2026-01-31T12:00:00Z) or a date (2026-01-31)`);
  return timestampFromDate(date);
}

export function wholeNumber(flag: string, text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`--${flag} must be a whole number`);
  return BigInt(text.trim());
}

export function required(flag: string, value: string | undefined): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`--${flag} is required`);
  return value;
}
