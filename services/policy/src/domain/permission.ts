// Permission strings are `resource:action`; `resource:*` grants every action of a resource
// and `*` grants everything, including permissions invented after the role was written.

const SEGMENT = /^[a-z][a-z0-9_]{0,62}$/;

export type PermissionPattern =
  | { kind: 'all' }
  | { kind: 'resource'; resource: string }
  | { kind: 'exact'; resource: string; action: string };

/** Parses a permission pattern; undefined when malformed. */
export function parsePermission(text: string): PermissionPattern | undefined {
  if (text === '*') return { kind: 'all' };
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const resource = text.slice(0, colon);
  const action = text.slice(colon + 1);
  if (!SEGMENT.test(resource)) return undefined;
  if (action === '*') return { kind: 'resource', resource };
  return SEGMENT.test(action) ? { kind: 'exact', resource, action } : undefined;
}

/** Why a permission string is malformed, or undefined when it is fine. */
export function permissionProblem(text: string): string | undefined {
  if (parsePermission(text) !== undefined) return undefined;
  return `"${text}" is not a permission: expected "resource:action", "resource:*" or "*" (lower-case letters, digits and _)`;
}

/** True for a resource kind or action name as used in a request. */
export function isNameSegment(text: string): boolean {
  return SEGMENT.test(text);
}

export function formatPermission(pattern: PermissionPattern): string {
  if (pattern.kind === 'all') return '*';
  if (pattern.kind === 'resource') return `${pattern.resource}:*`;
  return `${pattern.resource}:${pattern.action}`;
}

/**
 * A set of permission patterns answering "is resource:action granted, and by which role?"
 * with at most three hash lookups. Each pattern remembers the role that wrote it, so a
 * decision can say where an inherited permission came from.
 */
export class PermissionIndex {
  private allSource: string | undefined;
  private readonly byResource = new Map<string, string>();
  private readonly exact = new Map<string, string>();

  /** Adds a pattern; the first source recorded for a pattern is kept. */
  add(pattern: PermissionPattern, source: string): void {
    if (pattern.kind === 'all') this.allSource ??= source;
    else if (pattern.kind === 'resource') {
      if (!this.byResource.has(pattern.resource)) this.byResource.set(pattern.resource, source);
    } else {
      const key = `${pattern.resource}:${pattern.action}`;
      if (!this.exact.has(key)) this.exact.set(key, source);
    }
  }

  addAll(other: PermissionIndex): void {
    if (other.allSource !== undefined) this.allSource ??= other.allSource;
    for (const [resource, source] of other.byResource) if (!this.byResource.has(resource)) this.byResource.set(resource, source);
    for (const [key, source] of other.exact) if (!this.exact.has(key)) this.exact.set(key, source);
  }

  /** The role whose pattern grants `permission` (= `${resource}:${action}`), or undefined. */
  sourceOf(resource: string, permission: string): string | undefined {
    return this.allSource ?? this.byResource.get(resource) ?? this.exact.get(permission);
  }

  /** The patterns as written, de-duplicated and sorted. */
  patterns(): string[] {
    const out: string[] = [];
    if (this.allSource !== undefined) out.push('*');
    for (const resource of this.byResource.keys()) out.push(`${resource}:*`);
    for (const key of this.exact.keys()) out.push(key);
    return out.sort();
  }
}

/**
 * The patterns granted by both `a` and `b` (used to narrow a role's permissions by a
 * credential's scopes): `*` ∩ x = x, `r:*` ∩ `r:a` = `r:a`, unrelated patterns give nothing.
 */
export function intersectPatterns(a: PermissionPattern, b: PermissionPattern): PermissionPattern | undefined {
  if (a.kind === 'all') return b;
  if (b.kind === 'all') return a;
  if (a.resource !== b.resource) return undefined;
  if (a.kind === 'resource') return b;
  if (b.kind === 'resource') return a;
  return a.action === b.action ? a : undefined;
}

/** Does `pattern` grant `resource:action`? */
export function patternGrants(pattern: PermissionPattern, resource: string, action: string): boolean {
  if (pattern.kind === 'all') return true;
  if (pattern.resource !== resource) return false;
  return pattern.kind === 'resource' || pattern.action === action;
}
