// The compiled phone-number check must answer exactly as libphonenumber-js's parse + isValid +
// isPossible on the metadata it compiles: the recognizer relies on it instead of the library.
import { createRequire } from 'node:module';
import { parsePhoneNumberFromString, type CountryCode, type MetadataJson } from 'libphonenumber-js/core';
import { checkPhoneNumber } from '../../../src/detection/phone-numbers.js';

const metadata = createRequire(import.meta.url)('libphonenumber-js/metadata.max.json') as MetadataJson;

function libphonenumber(value: string, region: string) {
  const parsed = parsePhoneNumberFromString(value, region as CountryCode, metadata);
  return parsed === undefined ? undefined : { valid: parsed.isValid(), possible: parsed.isPossible() };
}

/** Candidates shaped like the recognizer's: "+" and calling codes, IDD and trunk prefixes, groups, parentheses, extensions. */
function* candidates(count: number, seed: number): Generator<[string, string]> {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]) => items[int(items.length)]!;
  const digits = (n: number) => Array.from({ length: n }, () => String(int(10))).join('');
  const callingCodes = [...Object.keys((metadata as unknown as { country_calling_codes: object }).country_calling_codes), '800', '808', '870', '881', '882', '883', '888', '979', '999', '0', '42'];
  const regions = ['US', 'CA', 'GB', 'DE', 'FR', 'IN', 'AU', 'BR', 'JP', 'CN', 'IT', 'ES', 'MX', 'RU', 'AR', 'NL', 'CH', 'SE', 'ZA', 'KR', 'JM', 'XX'];
  const grouped = () => {
    const separator = pick([' ', '-', '.', '']);
    let body = digits(5 + int(10));
    for (let g = int(4); g > 0; g--) {
      const at = 1 + int(body.length - 1);
      if (/\d/.test(body[at - 1]!) && /\d/.test(body[at]!)) body = body.slice(0, at) + separator + body.slice(at);
    }
    return body;
  };
  for (let i = 0; i < count; i++) {
    let value: string;
    const kind = int(10);
    if (kind < 3) value = `+${pick(callingCodes)}${pick([' ', '-', ''])}${grouped()}`;
    else if (kind < 5) value = pick(['0', '00', '011', '1', '8', '810', '0044', '01149', '001', '']) + grouped();
    else if (kind < 7) value = `(${digits(1 + int(4))}) ${grouped()}`;
    else if (kind < 8) value = `${pick(['2', '4', '6', '8', '9'])}${digits(2)}-${pick(['2', '5', '9'])}${digits(2)}-${digits(4)}`;
    else value = grouped();
    if (int(12) === 0) value += pick([' x12', 'x123', ' ext. 45', ' ext 7']);
    yield [value, pick(regions)];
  }
}

test('agrees with libphonenumber-js on 20,000 generated candidates in 22 regions', () => {
  let valid = 0;
  const disagreements: string[] = [];
  for (const [value, region] of candidates(20_000, 2026)) {
    const want = libphonenumber(value, region);
    if (want?.valid === true) valid++;
    const got = checkPhoneNumber(value, region);
    if (JSON.stringify(got) !== JSON.stringify(want)) disagreements.push(`${value} (${region}): ${JSON.stringify(got)} instead of ${JSON.stringify(want)}`);
  }
  expect(disagreements.slice(0, 10)).toEqual([]);
  // The generator must reach the interesting paths, not only the invalid ones.
  expect(valid).toBeGreaterThan(1000);
});

test.each([
  ['415-555-2671', 'US', { valid: true, possible: true }],
  ['555-123-4567', 'US', { valid: false, possible: true }],
  ['+44 20 7946 0958', 'US', { valid: true, possible: true }],
  ['020 7946 0958', 'GB', { valid: true, possible: true }],
  ['011 44 20 7946 0958', 'US', { valid: true, possible: true }],
  ['1 415 555 2671', 'US', { valid: true, possible: true }],
  ['(416) 555-0199', 'CA', { valid: true, possible: true }],
  ['+1 876 555 0123', 'US', { valid: true, possible: true }],
  ['+49 30 901820', 'US', { valid: true, possible: true }],
  ['+999 1234567', 'US', undefined],
])('%s in %s', (value, region, expected) => {
  expect(checkPhoneNumber(value, region)).toEqual(expected);
  expect(libphonenumber(value, region)).toEqual(expected);
});
