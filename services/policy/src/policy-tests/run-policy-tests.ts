import { create } from '@bufbuild/protobuf';
import {
  PolicyTestResultSchema,
  RunPolicyTestsResponseSchema,
  type RunPolicyTestsRequest,
  type RunPolicyTestsResponse,
} from '@aegis/proto/aegis/policy/v1/policy_test_service_pb.js';
import { decide, decisionRequestFromProto, decisionToProto, type FieldViolation } from '../domain/index.js';
import { validateCases } from './case-validation.js';
import { compileRulesUnderTest, type StoredRules } from './rules-under-test.js';

/** The fields of RunPolicyTestsRequest a run reads (a plain object will do). */
export type PolicyTestRun = Pick<RunPolicyTestsRequest, 'tenantId' | 'cases' | 'draftRoles' | 'draftPolicies' | 'ignoreStored'>;

export type PolicyTestOutcome =
  | { readonly response: RunPolicyTestsResponse; readonly violations?: undefined }
  | { readonly response?: undefined; readonly violations: readonly FieldViolation[] };

// A rejected run lists at most this many violations: enough to fix a file in one go, without
// a 10000-case mistake turning into a megabyte of error message.
const MAX_REPORTED_VIOLATIONS = 50;

/**
 * Runs policy tests: every case is decided by the same engine as Check, against the stored
 * rules overlaid with the drafts (or the drafts alone with `ignore_stored`), and passes when
 * the effect is the expected one. Unlike Check, a case may pin `time.*` through
 * `context.time`; unpinned time attributes read the clock at `now` (epoch ms). Pure: nothing
 * is stored and nothing is audited. An invalid run is answered with every violation found
 * (cases and drafts alike), none of the cases having run.
 */
export function runPolicyTests(run: PolicyTestRun, stored: StoredRules, now: number): PolicyTestOutcome {
  const caseViolations = validateCases(run.tenantId, run.cases);
  const rules = compileRulesUnderTest(run, stored);
  const violations = [...(rules.violations ?? []), ...caseViolations];
  if (violations.length > 0 || rules.set === undefined) return { violations: capped(violations) };

  const set = rules.set;
  let passedCount = 0;
  const results = run.cases.map((c) => {
    const request = decisionRequestFromProto({
      tenantId: run.tenantId,
      principal: c.principal,
      action: c.action,
      resource: c.resource,
      model: c.model,
      requestIp: c.requestIp,
      context: c.context,
    }, now, { pinTime: true });
    const decision = decisionToProto(decide(set, request));
    const passed = decision.effect === c.expectedEffect;
    if (passed) passedCount += 1;
    return create(PolicyTestResultSchema, { name: c.name, passed, decision });
  });
  return { response: create(RunPolicyTestsResponseSchema, { results, passedCount, failedCount: results.length - passedCount }) };
}

function capped(violations: readonly FieldViolation[]): readonly FieldViolation[] {
  if (violations.length <= MAX_REPORTED_VIOLATIONS) return violations;
  const shown = violations.slice(0, MAX_REPORTED_VIOLATIONS - 1);
  const next = violations[shown.length] as FieldViolation;
  return [...shown, { field: next.field, description: `${next.description} (and ${violations.length - shown.length - 1} more violations)` }];
}
