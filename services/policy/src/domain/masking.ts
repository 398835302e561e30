import type { DecisionRequest, JsonObject, JsonValue } from './types.js';

// Audit events and explanations must not carry attribute values the caller marked sensitive
// (CheckRequest.sensitive_attributes). A marked path masks everything beneath it too:
// "user.address" masks "user.address.city".

export const MASK = '***';

/** True when `path` equals a marked path or lies beneath one. */
export function isSensitivePath(path: string, sensitive: readonly string[]): boolean {
  for (const marked of sensitive) {
    if (path === marked || path.startsWith(`${marked}.`)) return true;
  }
  return false;
}

/** A copy of `attributes` (found under `root`, e.g. "user") with marked values replaced by MASK. */
export function maskAttributes(root: string, attributes: JsonObject | undefined, sensitive: readonly string[]): JsonObject | undefined {
  if (attributes === undefined) return undefined;
  const mask = (value: JsonValue, path: string): JsonValue => {
    if (isSensitivePath(path, sensitive)) return MASK;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const out: JsonObject = {};
    for (const [key, inner] of Object.entries(value)) out[key] = mask(inner, `${path}.${key}`);
    return out;
  };
  return mask(attributes, root) as JsonObject;
}

/** The request as an audit event may show it: attributes and IP with marked values masked. */
export interface AuditRequestView {
  principal: { id: string; roles: readonly string[]; attributes?: JsonObject };
  resource: { kind: string; id?: string; attributes?: JsonObject };
  action: string;
  model?: string;
  context: { ip?: string; attributes?: JsonObject };
}

export function auditView(request: DecisionRequest): AuditRequestView {
  const sensitive = request.sensitiveAttributes ?? [];
  const { principal, resource, context } = request;
  const ip = context.ip !== undefined && isSensitivePath('request.ip', sensitive) ? MASK : context.ip;
  const maskedId = (path: string, value: string | undefined) => (value !== undefined && isSensitivePath(path, sensitive) ? MASK : value);
  return {
    principal: {
      id: maskedId('user.id', principal.id) ?? '',
      roles: principal.roles,
      attributes: maskAttributes('user', principal.attributes, sensitive),
    },
    resource: {
      kind: resource.kind,
      id: maskedId('data.id', resource.id),
      attributes: maskAttributes('data', resource.attributes, sensitive),
    },
    action: request.action,
    model: request.model,
    context: { ip, attributes: maskAttributes('request', context.attributes, sensitive) },
  };
}
