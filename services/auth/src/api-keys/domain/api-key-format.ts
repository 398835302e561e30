import { crc32 } from 'node:zlib';
import { encodeBase62, isBase62, randomBase62 } from './base62.js';

// `{prefix}_{environment}_{32 random base62}{6 base62 CRC32}`: 32 base62 characters carry
// about 190 bits from the CSPRNG; the checksum lets a scanner (or our verifier) reject a
// look-alike or a typo without touching the database. 62^6 > 2^32, so 6 characters hold any CRC32.
export const RANDOM_LENGTH = 32;
export const CHECKSUM_LENGTH = 6;

const PREFIX_PATTERN = /^[a-z][a-z0-9]{1,15}$/;
const ENVIRONMENT_PATTERN = /^[a-z][a-z0-9]{1,15}$/;

export interface ApiKeyParts {
  prefix: string;
  environment: string;
  /** Random part and checksum, as presented. */
  body: string;
}

export type ApiKeyParseResult =
  | { ok: true; parts: ApiKeyParts }
  | { ok: false; reason: 'malformed' | 'bad_checksum' };

export function assertKeyLabel(kind: 'prefix' | 'environment', value: string): void {
  const pattern = kind === 'prefix' ? PREFIX_PATTERN : ENVIRONMENT_PATTERN;
  if (!pattern.test(value)) throw new RangeError(`api key ${kind} must match ${pattern.source}`);
}

function checksumOf(prefix: string, environment: string, random: string): string {
  // The checksum covers the labels too, so `genxai_test_X` cannot be edited into `genxai_live_X`.
  return encodeBase62(crc32(`${prefix}_${environment}_${random}`), CHECKSUM_LENGTH);
}

export function generateApiKey(prefix: string, environment: string): string {
  assertKeyLabel('prefix', prefix);
  assertKeyLabel('environment', environment);
  const random = randomBase62(RANDOM_LENGTH);
  return `${prefix}_${environment}_${random}${checksumOf(prefix, environment, random)}`;
}

/** Structure and checksum only; no storage. */
export function parseApiKey(key: string): ApiKeyParseResult {
  const parts = key.split('_');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [prefix = '', environment = '', body = ''] = parts;
  if (!PREFIX_PATTERN.test(prefix) || !ENVIRONMENT_PATTERN.test(environment)) return { ok: false, reason: 'malformed' };
  if (body.length !== RANDOM_LENGTH + CHECKSUM_LENGTH || !isBase62(body)) return { ok: false, reason: 'malformed' };
  const random = body.slice(0, RANDOM_LENGTH);
  if (checksumOf(prefix, environment, random) !== body.slice(RANDOM_LENGTH)) return { ok: false, reason: 'bad_checksum' };
  return { ok: true, parts: { prefix, environment, body } };
}

/** What may be shown after creation: the labels and the last 4 characters. */
export function apiKeyHint(key: string): string {
  const { prefix, environment } = splitLabels(key);
  return `${prefix}_${environment}_…${key.slice(-4)}`;
}

function splitLabels(key: string): { prefix: string; environment: string } {
  const [prefix = '', environment = ''] = key.split('_');
  return { prefix, environment };
}
