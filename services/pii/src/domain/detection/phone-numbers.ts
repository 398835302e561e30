import { createRequire } from 'node:module';
import { isSupportedCountry as isSupported, parsePhoneNumberFromString as parse, type CountryCode, type MetadataJson, type PhoneNumber } from 'libphonenumber-js/core';

// libphonenumber-js with its full ("max") metadata, so isValid() checks the assigned number
// ranges, not only lengths. Loaded through require: the package's JSON import is not portable
// across ESM loaders (jest's among them).
const metadata = createRequire(import.meta.url)('libphonenumber-js/metadata.max.json') as MetadataJson;

export function parsePhoneNumber(text: string, region: string): PhoneNumber | undefined {
  return parse(text, region as CountryCode, metadata);
}

export function isSupportedRegion(region: string): boolean {
  return isSupported(region as CountryCode, metadata);
}
