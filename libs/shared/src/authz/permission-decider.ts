import type { JsonObject } from '@bufbuild/protobuf';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { DecisionReason, type Decision, type Obligations } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { internal, unavailable } from '../errors/index.js';
import type { PresentedCredential } from '../auth/index.js';

/** One permission question: may `principal` do `permission` (on `resource`) in `tenantId`? */
export interface PermissionQuery {
  /** Tenant whose roles and policies decide; the principal must belong to it. */
  tenantId: string;
  principal: Principal;
  /** `resource:action`, e.g. `pii:detect`; the resource kind is the part before the colon. */
  permission: string;
  /** The instance acted on, when the decision depends on it (`data.id`, `data.<attribute>`). */
  resource?: { id?: string; attributes?: JsonObject };
  /** Request attributes for conditions (`request.<name>`). */
  context?: JsonObject;
  /** The caller's address (`request.ip`). */
  requestIp?: string;
}

/** The answer, as the policy service gave it. */
export interface PermissionDecision {
  allowed: boolean;
  permission: string;
  /** `role_permission`, `policy_allow`, `policy_deny`, `no_match`, `model_not_allowed`, `scope_excluded`. */
  reason: string;
  /** One sentence saying which rule decided and why. */
  explanation: string;
  /** The tenant's policy revision the decision was made at. */
  policyVersion: bigint;
  matchedRole: string;
  matchedPolicies: readonly string[];
  /** What the caller must enforce when allowed: model access and resource limits. */
  obligations: Obligations | undefined;
}

export interface DecideOptions {
  signal?: AbortSignal;
  /**
   * The credential of the request being decided, forwarded to a remote policy service so it
   * knows the caller belongs to the tenant. Ignored in process.
   */
  credential?: PresentedCredential;
}

/**
 * Whoever answers permission questions: the policy service over the network, or its own
 * handlers in process. Rejects with `unavailable` when it cannot answer (the caller fails
 * closed); a denial is an answer, not an error.
 */
export interface PermissionDecider {
  check(query: PermissionQuery, options?: DecideOptions): Promise<PermissionDecision>;
  close(): Promise<void>;
}

/** `resource:action` split for DecisionService.Check; anything else is a bug at the call site. */
export function permissionParts(permission: string): { kind: string; action: string } {
  const at = permission.indexOf(':');
  if (at <= 0 || at === permission.length - 1) throw internal(`"${permission}" is not a permission (expected resource:action)`);
  return { kind: permission.slice(0, at), action: permission.slice(at + 1) };
}

/** A Check answer as a PermissionDecision; an answer without a decision or an effect is a broken policy service. */
export function decisionFromProto(decision: Decision | undefined): PermissionDecision {
  if (decision === undefined || decision.effect === Effect.UNSPECIFIED) {
    throw unavailable('the policy service gave an incomplete answer: retry later');
  }
  return {
    allowed: decision.effect === Effect.ALLOW,
    permission: decision.permission,
    reason: reasonName(decision.reason),
    explanation: decision.explanation,
    policyVersion: decision.revision,
    matchedRole: decision.matchedRole,
    matchedPolicies: decision.matchedPolicies,
    obligations: decision.obligations,
  };
}

function reasonName(reason: DecisionReason): string {
  const name = DecisionReason[reason] as string | undefined;
  return name === undefined || reason === DecisionReason.UNSPECIFIED ? 'unspecified' : name.toLowerCase();
}
