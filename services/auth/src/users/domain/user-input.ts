import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { invalidArgument, requireLength } from '@aegis/shared';

// Validation of what callers send about users. Messages name the field and the rule, never
// the value (an e-mail is personal data; attributes may be sensitive).

const MAX_EMAIL_LENGTH = 254;
// Deliberately loose (RFC 5321 allows far more than anyone should register with); the
// identity provider proves ownership, this only rejects what cannot be an address.
const EMAIL = /^[^\s@"<>()[\]\\,;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Trimmed and lower-cased, as stored: uniqueness is per tenant and case-insensitive. */
export function normalizeEmail(value: string, field = 'email'): string {
  const email = value.trim().toLowerCase();
  if (email === '') throw invalidArgument(field, 'must not be empty');
  if (email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email)) throw invalidArgument(field, 'must be an e-mail address');
  return email;
}

export function requireDisplayName(value: string, field = 'display_name'): string {
  return requireLength(value.trim(), field, 0, 200);
}

/** Role names are slugs of the tenant (`admin`, `developer`, `ai_analyst`); whether they exist is the policy service's concern. */
export const ROLE_NAME = /^[a-z0-9][a-z0-9_]{0,62}$/;
const MAX_ROLES = 64;

/** Deduplicated, in the order given. */
export function requireRoleNames(values: readonly string[], field = 'roles'): string[] {
  if (values.length > MAX_ROLES) throw invalidArgument(field, `must hold at most ${MAX_ROLES} roles`);
  values.forEach((role, i) => {
    if (!ROLE_NAME.test(role)) throw invalidArgument(`${field}[${i}]`, 'must be 1-63 lowercase letters, digits or "_", starting with a letter or digit');
  });
  return [...new Set(values)];
}

const ATTRIBUTE_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const MAX_ATTRIBUTES = 64;
// Attributes travel in every decision request and token; a ceiling keeps them small.
const MAX_ATTRIBUTES_BYTES = 8 * 1024;

export function requireAttributes(value: JsonObject | undefined, field = 'attributes'): JsonObject {
  const attributes = value ?? {};
  const names = Object.keys(attributes);
  if (names.length > MAX_ATTRIBUTES) throw invalidArgument(field, `must hold at most ${MAX_ATTRIBUTES} attributes`);
  for (const name of names) {
    if (!ATTRIBUTE_NAME.test(name)) throw invalidArgument(`${field}.${safeName(name)}`, 'attribute names must be 1-63 lowercase letters, digits or "_", starting with a letter');
    if (attributes[name] === null) throw invalidArgument(`${field}.${name}`, 'must not be null (omit the attribute instead)');
  }
  if (Buffer.byteLength(JSON.stringify(attributes satisfies JsonValue)) > MAX_ATTRIBUTES_BYTES) {
    throw invalidArgument(field, `must be at most ${MAX_ATTRIBUTES_BYTES} bytes as JSON`);
  }
  return attributes;
}

// A field path echoes the name only when it is harmless to show.
function safeName(name: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(name) ? name : '<name>';
}

/** Server-assigned ids are UUIDv7; the bootstrap administrator is `admin`. */
export function requireUserId(value: string, field = 'user_id'): string {
  if (value.trim() === '') throw invalidArgument(field, 'must not be empty');
  return requireLength(value, field, 1, 128);
}
