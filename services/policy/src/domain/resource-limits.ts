import { LIMIT_FIELDS, type FieldViolation, type ResourceLimits } from './types.js';

// Two ways limits combine (an absent limit means "unlimited"):
//  - across a principal's roles, the most generous wins and a role without the limit lifts
//    it (role.proto: so admin's empty limits win);
//  - along inheritance, a role's own limit overrides what it inherits, so a role can narrow
//    the limits of the roles it includes.

/** The most generous of two limit sets. */
export function mostGenerous(a: ResourceLimits, b: ResourceLimits): ResourceLimits {
  const out: ResourceLimits = {};
  for (const field of LIMIT_FIELDS) {
    const x = a[field];
    const y = b[field];
    if (x !== undefined && y !== undefined) out[field] = Math.max(x, y);
  }
  const custom: Record<string, number> = {};
  let any = false;
  for (const [name, x] of Object.entries(a.custom ?? {})) {
    const y = b.custom?.[name];
    if (y !== undefined) {
      custom[name] = Math.max(x, y);
      any = true;
    }
  }
  if (any) out.custom = custom;
  return out;
}

/** The most generous limits of several roles; no roles at all: no limits. */
export function mostGenerousOf(all: readonly ResourceLimits[]): ResourceLimits {
  if (all.length === 0) return {};
  return all.reduce((acc, next) => mostGenerous(acc, next));
}

/** `own` where it sets a limit, otherwise `inherited`. */
export function overlay(own: ResourceLimits, inherited: ResourceLimits): ResourceLimits {
  const out: ResourceLimits = {};
  for (const field of LIMIT_FIELDS) {
    const value = own[field] ?? inherited[field];
    if (value !== undefined) out[field] = value;
  }
  if (own.custom !== undefined || inherited.custom !== undefined) {
    const custom = { ...inherited.custom, ...own.custom };
    if (Object.keys(custom).length > 0) out.custom = custom;
  }
  return out;
}

const CUSTOM_NAME = /^[a-z0-9_]{1,63}$/;

/** The proto field name, so violations point at what the caller sent. */
function protoName(field: string): string {
  if (field === 'maxExecutionTimeMs') return 'max_execution_time';
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Limits must be non-negative integers; custom names 1-63 of [a-z0-9_]. */
export function validateLimits(limits: ResourceLimits | undefined, path: string): FieldViolation[] {
  const out: FieldViolation[] = [];
  if (limits === undefined) return out;
  const check = (value: unknown, field: string) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      out.push({ field, description: 'must be a non-negative integer' });
    }
  };
  for (const field of LIMIT_FIELDS) {
    if (limits[field] !== undefined) check(limits[field], `${path}.${protoName(field)}`);
  }
  for (const [name, value] of Object.entries(limits.custom ?? {})) {
    if (!CUSTOM_NAME.test(name)) out.push({ field: `${path}.custom.${name}`, description: 'limit names are 1-63 of [a-z0-9_]' });
    else check(value, `${path}.custom.${name}`);
  }
  return out;
}
