// What `aegis policies apply` does to each role and policy of the files, decided by comparing
// the file's version with the stored one: pure, so the rules are tested without a server.
import { create, toJson, type JsonValue } from '@bufbuild/protobuf';
import { PolicySchema, type Policy } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { ResourceLimitsSchema, RoleSchema, type Role } from '@aegis/proto/aegis/policy/v1/role_pb.js';

export type Action = 'create' | 'update' | 'unchanged' | 'builtin';

export interface Step<T> {
  kind: 'role' | 'policy';
  name: string;
  action: Action;
  desired: T;
  /** The stored version the update is based on (optimistic concurrency). */
  expectedVersion: bigint;
}

/** The role's content as the file states it: what a comparison and a write look at. */
function roleContent(role: Role, tenantId: string): JsonValue {
  return toJson(RoleSchema, create(RoleSchema, {
    tenantId, name: role.name, description: role.description, permissions: role.permissions, modelAccess: role.modelAccess,
    inherits: role.inherits, resourceLimits: role.resourceLimits ?? create(ResourceLimitsSchema),
  }), { alwaysEmitImplicit: true });
}

function policyContent(policy: Policy, tenantId: string): JsonValue {
  return toJson(PolicySchema, create(PolicySchema, {
    tenantId, name: policy.name, description: policy.description, condition: policy.condition ?? {}, actions: policy.actions,
    effect: policy.effect, enabled: policy.enabled,
  }), { alwaysEmitImplicit: true });
}

export function planRole(desired: Role, stored: Role | undefined, tenantId: string): Step<Role> {
  const base = { kind: 'role' as const, name: desired.name, desired: create(RoleSchema, { ...desired, tenantId }) };
  if (stored === undefined) return { ...base, action: 'create', expectedVersion: 0n };
  const expectedVersion = stored.lastChange?.version ?? 0n;
  if (stored.builtin) return { ...base, action: 'builtin', expectedVersion };
  return { ...base, action: sameJson(roleContent(desired, tenantId), roleContent(stored, tenantId)) ? 'unchanged' : 'update', expectedVersion };
}

export function planPolicy(desired: Policy, stored: Policy | undefined, tenantId: string): Step<Policy> {
  const base = { kind: 'policy' as const, name: desired.name, desired: create(PolicySchema, { ...desired, tenantId }) };
  if (stored === undefined) return { ...base, action: 'create', expectedVersion: 0n };
  const expectedVersion = stored.lastChange?.version ?? 0n;
  return { ...base, action: sameJson(policyContent(desired, tenantId), policyContent(stored, tenantId)) ? 'unchanged' : 'update', expectedVersion };
}

/** Equal JSON values, object keys in any order (the server may store a condition's keys sorted). */
export function sameJson(a: JsonValue, b: JsonValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]!));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && sameJson(a[k]!, b[k]!));
  }
  return a === b;
}

/**
 * Roles in an order where every role comes after the roles of the batch it inherits, so a
 * create never names a parent that does not exist yet. Cycles are left to the server to reject.
 */
export function inheritanceOrder<T extends { draft: Role }>(roles: readonly T[]): T[] {
  const byName = new Map(roles.map((r) => [r.draft.name, r]));
  const out: T[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (r: T) => {
    const name = r.draft.name;
    if (state.has(name)) return;
    state.set(name, 'visiting');
    for (const parent of r.draft.inherits) {
      const p = byName.get(parent);
      if (p !== undefined && state.get(parent) === undefined) visit(p);
    }
    state.set(name, 'done');
    out.push(r);
  };
  roles.forEach(visit);
  return out;
}
