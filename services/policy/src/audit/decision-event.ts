import { DataClassification } from '@aegis/proto/aegis/common/v1/classification_pb.js';
import { Outcome, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { AttributeSchema } from '@aegis/proto/aegis/events/v1/audit_event_pb.js';
import { createEvent, type ActorInit } from '@aegis/shared';
import { auditView, isSensitivePath, type Decision, type DecisionRequest, type JsonObject, type JsonValue } from '../domain/index.js';

// The audit record of one decision (action `policy.decision`). Values come from the masked
// view of the request (domain/masking.ts), never from the request itself, so an attribute the
// caller marked sensitive cannot reach the audit stream.

/** Attributes beyond this are summarised, so one huge request cannot make a huge event. */
export const MAX_AUDITED_ATTRIBUTES = 64;
/** Longer values are cut (with an ellipsis): the audit trail records facts, not documents. */
export const MAX_AUDITED_VALUE_LENGTH = 256;

const CLASSIFICATIONS: Record<string, DataClassification> = {
  public: DataClassification.PUBLIC,
  internal: DataClassification.INTERNAL,
  confidential: DataClassification.CONFIDENTIAL,
  restricted: DataClassification.RESTRICTED,
};

const REASON_NAMES: Record<Decision['reason'], string> = {
  role_permission: 'DECISION_REASON_ROLE_PERMISSION',
  policy_allow: 'DECISION_REASON_POLICY_ALLOW',
  policy_deny: 'DECISION_REASON_POLICY_DENY',
  no_match: 'DECISION_REASON_NO_MATCH',
  model_not_allowed: 'DECISION_REASON_MODEL_NOT_ALLOWED',
  scope_excluded: 'DECISION_REASON_SCOPE_EXCLUDED',
};

export const DECISION_ACTION = 'policy.decision';

export interface DecisionAuditInput {
  request: DecisionRequest;
  decision: Decision;
  /** The principal decided about, as auth verified it (type, user, key, session). */
  subject: ActorInit;
  /** The service or user that asked (`Check`'s caller), when it is not the subject. */
  askedBy?: string;
}

export function decisionEvent(input: DecisionAuditInput): Event {
  const { request, decision } = input;
  const view = auditView(request);
  const attributes = flattenAttributes([
    ['user', view.principal.attributes],
    ['data', view.resource.attributes],
    ['request', view.context.attributes],
  ], request.sensitiveAttributes ?? []);
  const details: Array<MessageInitShape<typeof AttributeSchema>> = [{ key: 'explanation', value: decision.explanation }];
  if (input.askedBy !== undefined) details.push({ key: 'asked_by', value: input.askedBy });
  if (view.model !== undefined && view.model !== '') details.push({ key: 'model', value: view.model });
  return createEvent({
    source: 'policy',
    tenantId: request.tenantId,
    actor: input.subject,
    action: DECISION_ACTION,
    outcome: decision.allowed ? Outcome.SUCCESS : Outcome.DENIED,
    payload: {
      case: 'audit',
      value: {
        user: {
          userId: input.subject.userId ?? '',
          sessionId: input.subject.sessionId ?? '',
          ipAddress: view.context.ip ?? '',
        },
        ...(view.model !== undefined && view.model !== '' ? { agent: { model: view.model } } : {}),
        security: {
          accessGranted: decision.allowed,
          permissionsUsed: [decision.permission],
          decision: {
            allowed: decision.allowed,
            permission: decision.permission,
            reason: REASON_NAMES[decision.reason],
            matchedRole: decision.matchedRole ?? '',
            matchedPolicies: [...decision.matchedPolicies],
            policyRevision: BigInt(decision.revision),
          },
        },
        resource: { kind: view.resource.kind, id: view.resource.id ?? '', attributes },
        classification: classificationOf(view.resource.attributes),
        message: summary(decision, view.resource.kind, view.resource.id),
        details,
      },
    },
  });
}

/** One sentence for people reading the trail, e.g. "denied document:read on document doc-17 by pii_access_restriction". */
function summary(decision: Decision, kind: string, id: string | undefined): string {
  const what = `${decision.allowed ? 'allowed' : 'denied'} ${decision.permission}${id !== undefined && id !== '' ? ` on ${kind} ${id}` : ''}`;
  switch (decision.reason) {
    case 'policy_deny':
    case 'policy_allow':
      return `${what} by ${decision.matchedPolicies.join(', ')}`;
    case 'role_permission':
      return `${what} by role ${decision.matchedRole ?? ''}`;
    case 'no_match':
      return `${what}: no role or policy grants it`;
    case 'model_not_allowed':
      return `${what}: the model is not among the principal's allowed models`;
    case 'scope_excluded':
      return `${what}: the credential's scopes exclude it`;
  }
}

/** The classification recorded for retention: the resource's own `classification`, if it is a level. */
function classificationOf(attributes: JsonObject | undefined): DataClassification {
  const value = attributes?.['classification'];
  return typeof value === 'string' ? CLASSIFICATIONS[value] ?? DataClassification.UNSPECIFIED : DataClassification.UNSPECIFIED;
}

/** Leaf attributes as `path = value` pairs, masked values flagged, bounded in count and size. */
export function flattenAttributes(roots: ReadonlyArray<[string, JsonObject | undefined]>, sensitive: readonly string[]): Array<MessageInitShape<typeof AttributeSchema>> {
  const out: Array<MessageInitShape<typeof AttributeSchema>> = [];
  let omitted = 0;
  const visit = (path: string, value: JsonValue): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) visit(`${path}.${key}`, inner);
      return;
    }
    if (out.length >= MAX_AUDITED_ATTRIBUTES) {
      omitted += 1;
      return;
    }
    const masked = isSensitivePath(path, sensitive);
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    out.push({ key: path, value: truncate(text), masked });
  };
  for (const [root, attributes] of roots) if (attributes !== undefined) visit(root, attributes);
  if (omitted > 0) out.push({ key: '_omitted', value: `${omitted} more attributes not recorded` });
  return out;
}

function truncate(text: string): string {
  return text.length <= MAX_AUDITED_VALUE_LENGTH ? text : `${text.slice(0, MAX_AUDITED_VALUE_LENGTH - 1)}…`;
}
