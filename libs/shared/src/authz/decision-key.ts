import { createHash } from 'node:crypto';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import type { PermissionQuery } from './permission-decider.js';

// A cached decision may only answer a question that the policy service would answer the same
// way: everything Check reads goes into the key. Of the principal that is what conditions and
// grants see (user.id, roles, scopes, attributes), not how it authenticated.

/** JSON with object keys sorted at every level, so equal values always read the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The facts of a principal that can change a decision, digested (roles and scopes as sets). */
export function principalDigest(principal: Principal): string {
  return digest(principalFacts(principal));
}

function principalFacts(principal: Principal): unknown {
  return {
    id: principal.id,
    userId: principal.userId,
    roles: [...new Set(principal.roles)].sort(),
    scopes: [...new Set(principal.scopes)].sort(),
    attributes: principal.attributes ?? {},
  };
}

/** The cache key of a query; the tenant stays readable so its entries can be dropped together. */
export function decisionKey(query: PermissionQuery): string {
  const rest = digest({
    principal: principalFacts(query.principal),
    permission: query.permission,
    resource: query.resource ?? {},
    context: query.context ?? {},
    requestIp: query.requestIp ?? '',
  });
  return `${query.tenantId}\u0000${rest}`;
}

function digest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url');
}
