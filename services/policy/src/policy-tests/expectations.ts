import { DecisionReason, type Decision } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';

// What a test file may expect of a decision beyond its effect. RunPolicyTests compares the
// effect only (PolicyTestResult.passed); the rest is checked by whoever holds the file, on the
// decision the run returned, so it works the same offline and against a server.

export const REASON_NAMES = ['role_permission', 'policy_allow', 'policy_deny', 'no_match', 'model_not_allowed', 'scope_excluded'] as const;
export type ReasonName = (typeof REASON_NAMES)[number];

export interface CaseExpectation {
  effect: 'allow' | 'deny';
  /** The decision's reason. */
  reason?: ReasonName;
  /** Policies that must be among the decision's matched policies. */
  matchedPolicies?: readonly string[];
  /** The role that granted the permission. */
  matchedRole?: string;
  /** A substring of the explanation. */
  explanationContains?: string;
}

/** `policy_deny` for DECISION_REASON_POLICY_DENY. */
export function reasonName(reason: DecisionReason): string {
  return (DecisionReason[reason] ?? 'UNSPECIFIED').toLowerCase();
}

export function effectName(effect: Effect): string {
  return effect === Effect.ALLOW ? 'allow' : effect === Effect.DENY ? 'deny' : 'unspecified';
}

/** Every way the decision differs from the expectation, as sentences; empty when it passes. */
export function unmetExpectations(expected: CaseExpectation, decision: Decision | undefined): string[] {
  if (decision === undefined) return ['no decision was returned'];
  const out: string[] = [];
  const effect = effectName(decision.effect);
  const reason = reasonName(decision.reason);
  if (effect !== expected.effect) out.push(`expected ${expected.effect}, got ${effect} (${reason})`);
  if (expected.reason !== undefined && reason !== expected.reason) out.push(`expected reason ${expected.reason}, got ${reason}`);
  for (const policy of expected.matchedPolicies ?? []) {
    if (!decision.matchedPolicies.includes(policy)) {
      const matched = decision.matchedPolicies.length === 0 ? 'none' : decision.matchedPolicies.join(', ');
      out.push(`expected policy ${policy} to match, matched: ${matched}`);
    }
  }
  if (expected.matchedRole !== undefined && decision.matchedRole !== expected.matchedRole) {
    out.push(`expected role ${expected.matchedRole} to grant it, got ${decision.matchedRole === '' ? 'none' : decision.matchedRole}`);
  }
  if (expected.explanationContains !== undefined && !decision.explanation.includes(expected.explanationContains)) {
    out.push(`expected the explanation to contain ${JSON.stringify(expected.explanationContains)}`);
  }
  return out;
}
