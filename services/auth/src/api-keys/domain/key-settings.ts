import { invalidArgument, requireLength } from '@aegis/shared';
import { assertKeyLabel } from './api-key-format.js';

// Limits from the contract (api_key.proto, api_key_service.proto). Every check names the
// field and never repeats the value.
export const NAME_MAX_LENGTH = 128;
export const METADATA_MAX_ENTRIES = 32;
export const METADATA_KEY_MAX_LENGTH = 64;
export const METADATA_VALUE_MAX_LENGTH = 256;
export const MAX_SCOPES = 64;
export const SCOPE_MAX_LENGTH = 128;
export const MAX_GRACE_MS = 30 * 24 * 3_600_000;

// Printable, no control characters (names end up in logs, audit messages and UIs).
const CONTROL_CHARACTERS = /\p{Cc}/u;
const SCOPE_PATTERN = /^[A-Za-z0-9_.:*/-]+$/;

export function requireKeyName(name: string, field = 'name'): string {
  requireLength(name, field, 1, NAME_MAX_LENGTH);
  if (name.trim() !== name || CONTROL_CHARACTERS.test(name)) throw invalidArgument(field, 'must not have leading or trailing spaces or control characters');
  return name;
}

/** The key format's second label: 2-16 lowercase letters or digits, starting with a letter. */
export function requireEnvironment(environment: string, field = 'environment'): string {
  try {
    assertKeyLabel('environment', environment);
  } catch {
    throw invalidArgument(field, 'must be 2-16 lowercase letters or digits, starting with a letter (e.g. "live", "test")');
  }
  return environment;
}

/**
 * A key's roles must be roles its owner holds. `requested` empty means all of the owner's
 * roles on creation (`allowEmpty`); an update must name them.
 */
export function requireRolesOf(ownerRoles: readonly string[], requested: readonly string[], opts: { allowEmpty: boolean; field?: string }): string[] {
  const field = opts.field ?? 'roles';
  if (requested.length === 0) {
    if (!opts.allowEmpty) throw invalidArgument(field, 'must name at least one role');
    if (ownerRoles.length === 0) throw invalidArgument(field, 'the owner holds no role, so the key would have none');
    return [...ownerRoles];
  }
  const unique = [...new Set(requested)];
  unique.forEach((role, i) => {
    if (!ownerRoles.includes(role)) throw invalidArgument(`${field}[${i}]`, 'must be a role the owner holds');
  });
  return unique;
}

export function requireScopes(scopes: readonly string[], field = 'scopes'): string[] {
  if (scopes.length > MAX_SCOPES) throw invalidArgument(field, `must have at most ${MAX_SCOPES} entries`);
  scopes.forEach((scope, i) => {
    requireLength(scope, `${field}[${i}]`, 1, SCOPE_MAX_LENGTH);
    if (!SCOPE_PATTERN.test(scope)) throw invalidArgument(`${field}[${i}]`, 'may only contain letters, digits and _ . : * / -');
  });
  return [...new Set(scopes)];
}

export function requireMetadata(metadata: Record<string, string>, field = 'metadata'): Record<string, string> {
  const entries = Object.entries(metadata);
  if (entries.length > METADATA_MAX_ENTRIES) throw invalidArgument(field, `must have at most ${METADATA_MAX_ENTRIES} entries`);
  for (const [key, value] of entries) {
    requireLength(key, `${field} key`, 1, METADATA_KEY_MAX_LENGTH);
    if (CONTROL_CHARACTERS.test(key)) throw invalidArgument(`${field} key`, 'must not contain control characters');
    requireLength(value, `${field}["${key}"]`, 0, METADATA_VALUE_MAX_LENGTH);
  }
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Undefined (never expires) or a time after `now`. */
export function requireFutureExpiry(expiresAt: Date | undefined, now: Date, field = 'expire_time'): Date | null {
  if (expiresAt === undefined) return null;
  if (Number.isNaN(expiresAt.getTime())) throw invalidArgument(field, 'must be a valid time');
  if (expiresAt <= now) throw invalidArgument(field, 'must be in the future');
  return expiresAt;
}

export function requireGracePeriodMs(graceMs: number, field = 'grace_period'): number {
  if (!Number.isFinite(graceMs) || graceMs < 0 || graceMs > MAX_GRACE_MS) throw invalidArgument(field, 'must be between 0 and 30 days');
  return Math.round(graceMs);
}
