import { createRequire } from 'node:module';
import { isSupportedCountry as isSupported, Metadata, type CountryCode, type MetadataJson } from 'libphonenumber-js/core';

// Phone numbers are checked against libphonenumber's full ("max") metadata, so validity means
// an assigned number range, not just a length. libphonenumber-js's own parse + isValid builds
// `new RegExp(...)` from the metadata's pattern strings on every call (17-65 µs per number,
// the whole time budget of a 1 KB text); here each numbering plan's patterns are compiled once,
// on its first use, and the same steps are followed: IDD prefix, country calling code with or
// without "+", national prefix for parsing (and its transform rule), the country among those
// sharing a calling code, then number types and possible lengths. A unit test checks that this
// gives libphonenumber-js's answers on many generated numbers.
// Loaded through require: the package's JSON import is not portable across ESM loaders (jest's among them).
const metadataJson = createRequire(import.meta.url)('libphonenumber-js/metadata.max.json') as MetadataJson;
const metadata = new Metadata(metadataJson);
const callingCodes = (metadataJson as unknown as { country_calling_codes: Record<string, string[]> }).country_calling_codes;
const nonGeographic = (metadataJson as unknown as { nonGeographic?: Record<string, unknown> }).nonGeographic ?? {};

// National significant numbers are 2-17 digits (libphonenumber's MIN/MAX_LENGTH_FOR_NSN).
const MIN_NSN = 2;
const MAX_NSN = 17;
const MAX_CALLING_CODE = 3;
// getNumberType's order: fixed line first, then the others.
const TYPES = ['FIXED_LINE', 'MOBILE', 'PREMIUM_RATE', 'TOLL_FREE', 'SHARED_COST', 'VOIP', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL'] as const;

interface NumberType {
  pattern: RegExp;
  lengths: readonly number[] | undefined;
}

interface NumberingPlan {
  callingCode: string;
  nationalNumber: RegExp;
  lengths: readonly number[] | undefined;
  iddPrefix: RegExp | undefined;
  prefixForParsing: RegExp | undefined;
  transformRule: string | undefined;
  leadingDigits: RegExp | undefined;
  /** Undefined: the plan has no per-type patterns, the national pattern alone decides. */
  types: readonly NumberType[] | undefined;
  nonGeographic: boolean;
}

const whole = (source: string) => new RegExp(`^(?:${source})$`);
const leading = (source: string) => new RegExp(`^(?:${source})`);

function compilePlan(selector: string): NumberingPlan {
  const selected = metadata.selectNumberingPlan(selector as CountryCode);
  // The Metadata class reads the positional JSON arrays for us; only its accessors are used, once.
  const plan = (selected as unknown as { numberingPlan: RawPlan }).numberingPlan;
  const lengths = plan.possibleLengths() ?? undefined;
  let types: NumberType[] | undefined;
  if (plan.hasTypes()) {
    types = [];
    for (const name of TYPES) {
      const type = plan.type(name);
      const pattern = type?.pattern();
      if (type === undefined || !pattern) continue;
      types.push({ pattern: whole(pattern), lengths: type.possibleLengths() ?? undefined });
    }
  }
  const iddPrefix = plan.IDDPrefix();
  const prefixForParsing = plan.nationalPrefixForParsing();
  const leadingDigits = plan.leadingDigits();
  return {
    callingCode: plan.callingCode(),
    nationalNumber: whole(plan.nationalNumberPattern()),
    lengths,
    iddPrefix: iddPrefix ? leading(iddPrefix) : undefined,
    prefixForParsing: prefixForParsing ? leading(prefixForParsing) : undefined,
    transformRule: plan.nationalPrefixTransformRule() || undefined,
    leadingDigits: leadingDigits ? leading(leadingDigits) : undefined,
    types,
    nonGeographic: nonGeographic[selector] !== undefined,
  };
}

interface RawPlan {
  callingCode(): string;
  IDDPrefix(): string | undefined;
  nationalNumberPattern(): string;
  possibleLengths(): number[] | undefined;
  nationalPrefixForParsing(): string | undefined;
  nationalPrefixTransformRule(): string | undefined;
  leadingDigits(): string | undefined;
  hasTypes(): boolean;
  type(name: string): { pattern(): string; possibleLengths(): number[] | undefined } | undefined;
}

const plans = new Map<string, NumberingPlan>();

/** A country's plan, or for a calling code its main country's (or the non-geographic entity's). */
function planOf(countryOrCallingCode: string): NumberingPlan {
  let plan = plans.get(countryOrCallingCode);
  if (plan === undefined) {
    plan = compilePlan(countryOrCallingCode);
    plans.set(countryOrCallingCode, plan);
  }
  return plan;
}

function countriesOf(callingCode: string): readonly string[] | undefined {
  const countries = callingCodes[callingCode];
  // Old metadata listed non-geographic entities here as "001".
  if (countries === undefined || (countries.length === 1 && countries[0]!.length === 3)) return undefined;
  return countries;
}

function hasCallingCode(code: string): boolean {
  return countriesOf(code) !== undefined || nonGeographic[code] !== undefined;
}

type LengthCheck = 'possible' | 'too_short' | 'too_long' | 'invalid_length';

function checkLength(nationalNumber: string, lengths: readonly number[] | undefined): LengthCheck {
  if (lengths === undefined) return 'possible';
  const n = nationalNumber.length;
  if (lengths[0] === n) return 'possible';
  if (lengths[0]! > n) return 'too_short';
  if (lengths[lengths.length - 1]! < n) return 'too_long';
  return lengths.indexOf(n, 1) >= 0 ? 'possible' : 'invalid_length';
}

function hasNumberType(nationalNumber: string, plan: NumberingPlan): boolean {
  if (!plan.nationalNumber.test(nationalNumber)) return false;
  if (plan.types === undefined) return true;
  for (const type of plan.types) {
    const lengths = type.lengths ?? plan.lengths;
    if (lengths !== undefined && !lengths.includes(nationalNumber.length)) continue;
    if (type.pattern.test(nationalNumber)) return true;
  }
  return false;
}

/** Of the countries sharing a calling code, the one whose leading digits or number ranges fit. */
function countryByCallingCode(callingCode: string, nationalNumber: string): string | undefined {
  const countries = countriesOf(callingCode);
  if (countries === undefined) return undefined;
  if (countries.length === 1) return countries[0];
  for (const country of countries) {
    const plan = planOf(country);
    if (plan.leadingDigits !== undefined) {
      if (nationalNumber !== '' && plan.leadingDigits.test(nationalNumber)) return country;
    } else if (hasNumberType(nationalNumber, plan)) return country;
  }
  return undefined;
}

/** Strips the national (trunk) prefix, "0" in most of Europe, "1" in NANP, when that leaves a plausible number. */
function nationalNumberOf(number: string, plan: NumberingPlan): string {
  let national = number;
  const match = plan.prefixForParsing?.exec(number);
  if (match != null) {
    const groups = match.length - 1;
    const captured = groups > 0 && Boolean(match[groups]);
    national = plan.transformRule !== undefined && captured ? number.replace(plan.prefixForParsing!, plan.transformRule) : number.slice(match[0].length);
  }
  if (national === number) return number;
  if (plan.nationalNumber.test(number) && !plan.nationalNumber.test(national)) return number;
  if (plan.lengths !== undefined) {
    const country = countryByCallingCode(plan.callingCode, national);
    const check = checkLength(national, country !== undefined ? planOf(country).lengths : plan.lengths);
    if (check === 'too_short' || check === 'invalid_length') return number;
  }
  return national;
}

/** "+" and digits after the IDD prefix of the region ("011" in the US, "00" in most places), or undefined. */
function withoutIddPrefix(number: string, plan: NumberingPlan): string | undefined {
  const match = plan.iddPrefix?.exec(number);
  if (match == null) return undefined;
  const rest = number.slice(match[0].length);
  return rest.startsWith('0') ? undefined : rest;
}

interface CallingCodeSplit {
  callingCode?: string;
  number?: string;
}

function splitCallingCode(input: string, region: string | undefined): CallingCodeSplit {
  let number = input;
  if (number === '') return {};
  if (number[0] !== '+') {
    const afterIdd = region !== undefined ? withoutIddPrefix(number, planOf(region)) : undefined;
    if (afterIdd) number = `+${afterIdd}`;
    else {
      if (region !== undefined) {
        const plan = planOf(region);
        // "14155552671" in the US: the calling code written without "+", when the rest reads better as a national number.
        if (number.startsWith(plan.callingCode)) {
          const shorter = number.slice(plan.callingCode.length);
          const shorterNational = nationalNumberOf(shorter, plan);
          const national = nationalNumberOf(number, plan);
          if ((!plan.nationalNumber.test(national) && plan.nationalNumber.test(shorterNational)) || checkLength(national, plan.lengths) === 'too_long') {
            return { callingCode: plan.callingCode, number: shorter };
          }
        }
      }
      return { number };
    }
  }
  if (number[1] === '0') return {};
  for (let i = 2; i - 1 <= MAX_CALLING_CODE && i <= number.length; i++) {
    const code = number.slice(1, i);
    if (hasCallingCode(code)) return { callingCode: code, number: number.slice(i) };
  }
  return {};
}

export interface PhoneCheck {
  /** In an assigned range of its country (libphonenumber's isValid). */
  valid: boolean;
  /** A length its country uses (libphonenumber's isPossible). */
  possible: boolean;
}

/**
 * What libphonenumber-js's `parsePhoneNumberFromString(value, region)` followed by `isValid()`
 * and `isPossible()` answers, for a candidate made of an optional "+", digits, spaces, dots,
 * dashes, parentheses and an optional extension ("x12", "ext. 12"); undefined where it finds no
 * number at all.
 */
export function checkPhoneNumber(value: string, region: string): PhoneCheck | undefined {
  const digits = phoneDigits(value);
  if (digits === undefined) return undefined;
  const defaultRegion = isSupportedRegion(region) ? region : undefined;
  let { callingCode, number } = splitCallingCode(digits, defaultRegion);
  let country: string | undefined;
  let plan: NumberingPlan;
  if (callingCode !== undefined) plan = planOf(callingCode);
  else if (number && defaultRegion !== undefined) {
    country = defaultRegion;
    plan = planOf(defaultRegion);
    callingCode = plan.callingCode;
  } else return undefined;
  if (!number) return undefined;
  const national = nationalNumberOf(number, plan);
  const exact = countryByCallingCode(callingCode, national);
  if (exact !== undefined) country = exact;
  if (national.length < MIN_NSN || national.length > MAX_NSN) return undefined;
  const selected = planOf(country ?? callingCode);
  const valid = hasNumberType(national, selected);
  const possible = selected.lengths !== undefined ? checkLength(national, selected.lengths) === 'possible' : selected.nonGeographic;
  return { valid, possible };
}

/**
 * "+" (when first) and the digits of the number part, without an extension; undefined when
 * the extension marker is not followed by digits (libphonenumber does not read such input).
 */
function phoneDigits(value: string): string | undefined {
  let out = value.charCodeAt(0) === 43 ? '+' : '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) out += value[i];
    else if (c === 120 || c === 101) break; // "x", "ext"
  }
  return out;
}

export function isSupportedRegion(region: string): boolean {
  return isSupported(region as CountryCode, metadataJson);
}
