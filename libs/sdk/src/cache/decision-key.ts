import { createHash } from 'node:crypto';
import { toJson, type JsonObject } from '@bufbuild/protobuf';
import { PrincipalSchema, type Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';

// A cached decision may answer only the request policy would answer the same way, so the key
// is the whole Check request: tenant, the principal as auth verified it (roles, scopes,
// attributes and the rest; a role change yields another principal), action, resource with its
// attributes, model, client IP and context. Object keys are sorted, so the same request
// always makes the same key whatever order the caller built its objects in.

/** A Check request as the guard sends it (every field goes into the key; Check has no per-call id). */
export interface CheckInput {
  tenantId: string;
  principal: Principal;
  action: string;
  resource: { kind: string; id?: string; attributes?: JsonObject };
  model?: string;
  requestIp?: string;
  context?: JsonObject;
  sensitiveAttributes?: string[];
}

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The digest of everything that determines the decision. */
export function decisionKey(request: CheckInput): string {
  const facts = {
    tenantId: request.tenantId,
    principal: toJson(PrincipalSchema, request.principal),
    action: request.action,
    resource: { kind: request.resource.kind, id: request.resource.id ?? '', attributes: request.resource.attributes ?? null },
    model: request.model ?? '',
    requestIp: request.requestIp ?? '',
    context: request.context ?? null,
    // Only masks the explanation, but the explanation is part of the answer.
    sensitiveAttributes: request.sensitiveAttributes ?? [],
  };
  return createHash('sha256').update(canonicalJson(facts)).digest('base64url');
}
