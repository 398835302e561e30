import { isIP } from 'node:net';
import { crc32 } from 'node:zlib';

// Checks that turn a pattern match into a finding: the plan's bare regexes flag invalid SSNs,
// Luhn-invalid card numbers and `999.1.1.1`; these reject them.

/** Luhn (mod 10) over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** Card brands by IIN prefix and length; undefined when no major brand issues such a number. */
export function cardBrand(digits: string): string | undefined {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  const p6 = Number(digits.slice(0, 6));
  if (digits[0] === '4' && (n === 13 || n === 16 || n === 19)) return 'visa';
  if (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && n === 16) return 'mastercard';
  if ((p2 === 34 || p2 === 37) && n === 15) return 'amex';
  if ((p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925)) && n >= 16 && n <= 19) return 'discover';
  if (p4 >= 3528 && p4 <= 3589 && n >= 16 && n <= 19) return 'jcb';
  if (((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) && n >= 14 && n <= 19) return 'diners';
  if (p2 === 62 && n >= 16 && n <= 19) return 'unionpay';
  if ((p4 === 5018 || p4 === 5020 || p4 === 5038 || p4 === 5893 || p4 === 6304 || p4 === 6759 || p4 === 6761 || p4 === 6762 || p4 === 6763) && n >= 12 && n <= 19) return 'maestro';
  return undefined;
}

/**
 * SSA rules: area 000, 666 and 900-999 were never issued, nor group 00 or serial 0000; two
 * numbers were published in advertising and are known fakes.
 */
export function ssnValid(area: string, group: string, serial: string): boolean {
  if (area === '000' || area === '666' || area[0] === '9') return false;
  if (group === '00' || serial === '0000') return false;
  const whole = area + group + serial;
  return whole !== '078051120' && whole !== '219099999' && whole !== '123456789';
}

/** Dotted quad with octets 0-255 and no leading zeros (`010` is octal to some parsers: ambiguous, so not reported). */
export function ipv4Valid(text: string): boolean {
  return isIP(text) === 4;
}

export function ipv6Valid(text: string): boolean {
  return isIP(text) === 6;
}

// IBAN lengths per country (ISO 13616 registry).
const IBAN_LENGTHS: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24,
  DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28,
  HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29,
  RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22,
  VG: 24, XK: 20, IR: 26, RU: 33, LY: 25, SD: 18, BI: 27, DJ: 27, MN: 20, NI: 28, OM: 23, SO: 23, YE: 30, FK: 18, HN: 28,
  AO: 25, BF: 28, BJ: 28, CI: 28, CM: 27, CV: 25, DZ: 26, GA: 27, GQ: 27, GW: 25, KM: 27, MA: 28, MG: 27, ML: 28, MZ: 25, NE: 28, SN: 28, TD: 27, TG: 28,
};

/** Country length and ISO 7064 mod 97-10 over the compact (no spaces, upper-case) IBAN. */
export function ibanValid(compact: string): boolean {
  if (IBAN_LENGTHS[compact.slice(0, 2)] !== compact.length) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const code = rearranged.charCodeAt(i);
    const value = code >= 65 ? code - 55 : code - 48;
    if (value < 0 || value > 35) return false;
    remainder = value > 9 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
  }
  return remainder === 1;
}

/** Shannon entropy in bits per character (per code point; `length` counts UTF-16 units, as before). */
export function shannonEntropy(text: string): number {
  // Tokens are ASCII: count in an array; anything else goes through a map.
  const ascii = new Uint32Array(128);
  let others: Map<string, number> | undefined;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 128) ascii[code]!++;
    else {
      // A code point: a surrogate pair counts as one character.
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      i += ch.length - 1;
      (others ??= new Map()).set(ch, (others.get(ch) ?? 0) + 1);
    }
  }
  let bits = 0;
  for (let code = 0; code < 128; code++) if (ascii[code]! > 0) bits -= entropyTerm(ascii[code]!, text.length);
  if (others !== undefined) for (const count of others.values()) bits -= entropyTerm(count, text.length);
  return bits;
}

function entropyTerm(count: number, length: number): number {
  const p = count / length;
  return p * Math.log2(p);
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(value: number, width: number): string {
  let out = '';
  let rest = value;
  do {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  return out.padStart(width, '0');
}

/**
 * Aegis API keys, `{prefix}_{environment}_{32 base62}{6 base62 CRC32 of the rest}` (the format of
 * services/auth/src/api-keys/domain/api-key-format.ts; a unit test checks both agree). The
 * checksum tells a real key from a look-alike without any lookup.
 */
export function aegisApiKeyValid(key: string): boolean {
  const body = key.slice(key.lastIndexOf('_') + 1);
  if (body.length !== 38) return false;
  const labels = key.slice(0, key.length - 38);
  return base62(crc32(labels + body.slice(0, 32)), 6) === body.slice(32);
}

/**
 * GitHub tokens since 2021 (`ghp_` ... `ghr_`): 30 random base62 characters and a 6-character
 * base62 CRC32 of them.
 */
export function githubTokenValid(token: string): boolean {
  const body = token.slice(4);
  if (body.length !== 36) return false;
  return base62(crc32(body.slice(0, 30)), 6) === body.slice(30);
}

/** A JWT's first part decodes to a JSON object naming an algorithm. */
export function jwtHeaderValid(header: string): boolean {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && typeof (parsed as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}

/**
 * A calendar date that exists, in a plausible birth year (1900 to now). `now` as a Date or epoch
 * milliseconds; by default the clock, read without allocating (this runs for every date candidate).
 */
export function birthDateValid(year: number, month: number, day: number, now: Date | number = Date.now()): boolean {
  if (year < 1900 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  // A later year, or a later day of this year, is after `now` too.
  return Date.UTC(year, month - 1, day) <= (typeof now === 'number' ? now : now.getTime());
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return DAYS_IN_MONTH[month - 1]!;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}
