// How values read in tables: times, money, durations and enum names.
import { timestampDate, type Duration, type Timestamp } from '@bufbuild/protobuf/wkt';
import type { Money } from '@aegis/proto/aegis/common/v1/money_pb.js';

const NANOS_PER_UNIT = 1_000_000_000n;

export function time(ts: Timestamp | undefined): string {
  return ts === undefined ? '' : timestampDate(ts).toISOString().replace(/\.000Z$/, 'Z');
}

/** Exact decimal from nanos, trailing zeros trimmed to at least cents: `USD 12.50`, `USD 0.000001`. */
export function money(m: Money | undefined): string {
  if (m === undefined) return '';
  const negative = m.amountNanos < 0n;
  const abs = negative ? -m.amountNanos : m.amountNanos;
  const whole = abs / NANOS_PER_UNIT;
  let fraction = (abs % NANOS_PER_UNIT).toString().padStart(9, '0').replace(/0+$/, '');
  if (fraction.length < 2) fraction = fraction.padEnd(2, '0');
  return `${m.currencyCode} ${negative ? '-' : ''}${whole}.${fraction}`;
}

/** Parses `12.5` or `12.50` (at most 9 decimals) into nanos, exactly. */
export function parseAmount(text: string): bigint | undefined {
  const match = /^(\d+)(?:\.(\d{1,9}))?$/.exec(text.trim());
  if (match === null) return undefined;
  return BigInt(match[1]!) * NANOS_PER_UNIT + BigInt((match[2] ?? '').padEnd(9, '0'));
}

export function duration(d: Duration | undefined): string {
  if (d === undefined) return '';
  const s = Number(d.seconds);
  if (s % 86_400 === 0 && s > 0) return `${s / 86_400}d`;
  if (s % 3_600 === 0 && s > 0) return `${s / 3_600}h`;
  if (s % 60 === 0 && s > 0) return `${s / 60}m`;
  return `${s}s`;
}

/** `1h`, `90s`, `2d`, `30m`: whole seconds. */
export function parseDurationSeconds(text: string): bigint | undefined {
  const match = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (match === null) return undefined;
  const unit = { s: 1n, m: 60n, h: 3_600n, d: 86_400n }[match[2] as 's' | 'm' | 'h' | 'd'];
  return BigInt(match[1]!) * unit;
}

/** `API_KEY_STATUS_ACTIVE` style enum value -> `active`, from the generated enum object. */
export function enumName(enumObject: Record<string, string | number>, value: number, prefix: string): string {
  const name = enumObject[value];
  if (typeof name !== 'string' || name === 'UNSPECIFIED') return '';
  return name.toLowerCase().replace(new RegExp(`^${prefix.toLowerCase()}_`), '');
}

/** The inverse: `active`, `ACTIVE` or `API_KEY_STATUS_ACTIVE` -> the value, or undefined. */
export function parseEnum<E extends Record<string, string | number>>(enumObject: E, text: string, prefix: string): number | undefined {
  const name = text.trim().toUpperCase().replace(new RegExp(`^${prefix}_`), '');
  const value = enumObject[name];
  return typeof value === 'number' && value !== 0 ? value : undefined;
}

export function list(values: readonly string[]): string {
  return values.join(',');
}
