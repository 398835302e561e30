import { create } from '@bufbuild/protobuf';
import { PrincipalSchema, type Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { ResourceSchema, type Resource } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { PolicyTestCaseSchema, type PolicyTestCase } from '@aegis/proto/aegis/policy/v1/policy_test_service_pb.js';
import type { JsonObject, TenantClock } from '../domain/index.js';
import { REASON_NAMES, type CaseExpectation, type ReasonName } from './expectations.js';
import { parseEffect } from './yaml-rules.js';
import type { YamlPath, YamlSource } from './yaml-source.js';
import { fieldsOf, readJsonObject, readString, readStringList, type Field } from './yaml-values.js';

// The `tests:` of a file. Each entry is the JSON form of PolicyTestCase, plus three
// conveniences the request does not have: `expect` (allow | deny, or a mapping that also
// checks reason, matched policies or role, and explanation), `now` and `time` (both pin the
// `time.*` attributes, so a test never depends on when it runs).

export interface SourcedCase {
  readonly testCase: PolicyTestCase;
  readonly expectation: CaseExpectation;
  readonly path: YamlPath;
}

const CASE_FIELDS = ['name', 'principal', 'action', 'resource', 'model', 'request_ip', 'context', 'expected_effect', 'expect', 'now', 'time'];
const PRINCIPAL_FIELDS = ['id', 'user_id', 'tenant_id', 'roles', 'scopes', 'attributes'];
const RESOURCE_FIELDS = ['kind', 'id', 'attributes'];
const EXPECT_FIELDS = ['effect', 'reason', 'matched_policies', 'matched_role', 'explanation_contains'];

// An instant with its offset: without one, Date.parse reads local time and a test would pass
// on one machine and fail on another.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** `time.*` at an instant (`2024-03-13T10:00:00Z`) on `clock`, or undefined after reporting a bad one. */
export function readNow(src: YamlSource, field: Field | undefined, clock: TenantClock): JsonObject | undefined {
  if (field === undefined || field.value === null) return undefined;
  if (typeof field.value === 'string' && INSTANT.test(field.value)) {
    const at = Date.parse(field.value);
    if (!Number.isNaN(at)) return { ...clock.at(at) };
  }
  src.problem(field.path, 'must be an ISO 8601 instant with an offset, e.g. 2024-03-13T10:00:00Z');
  return undefined;
}

/** How a file pins time: its working week, and its `now` read in it. */
export interface FileTime {
  readonly clock: TenantClock;
  readonly now: JsonObject | undefined;
}

export function readCases(src: YamlSource, field: Field | undefined, fileTime: FileTime): SourcedCase[] {
  if (field === undefined || field.value === null) return [];
  if (!Array.isArray(field.value)) {
    src.problem(field.path, 'must be a list of tests');
    return [];
  }
  return field.value.flatMap((value: unknown, i) => {
    const path = [...field.path, i];
    const fields = fieldsOf(src, value, path, CASE_FIELDS);
    if (fields === undefined) return [];
    // A missing name, action or resource is left to the run's validation, which reports it
    // (mapped back to this test) exactly as RunPolicyTests would.
    const name = readString(src, fields.get('name'), { required: true });
    const expectation = readExpectation(src, fields, path);
    const context = readJsonObject(src, fields.get('context'));
    const time = pinnedTime(src, fields, context, fileTime);
    const testCase = create(PolicyTestCaseSchema, {
      name: name ?? '',
      principal: readPrincipal(src, fields.get('principal')),
      action: readString(src, fields.get('action'), { required: true }) ?? '',
      resource: readResource(src, fields.get('resource')),
      model: readString(src, fields.get('model')) ?? '',
      requestIp: readString(src, fields.get('request_ip')) ?? '',
      context: time === undefined ? context : { ...context, time },
      expectedEffect: expectation === undefined ? Effect.UNSPECIFIED : expectation.effect === 'allow' ? Effect.ALLOW : Effect.DENY,
    });
    return expectation === undefined ? [] : [{ testCase, expectation, path }];
  });
}

/** The file's `now`, then the case's `now`, `context.time` and `time`, later ones winning per attribute. */
function pinnedTime(src: YamlSource, fields: Map<string, Field>, context: JsonObject | undefined, fileTime: FileTime): JsonObject | undefined {
  const now = fields.has('now') ? readNow(src, fields.get('now'), fileTime.clock) : fileTime.now;
  const inContext = context?.['time'];
  const time = readJsonObject(src, fields.get('time'));
  if (now === undefined && inContext === undefined && time === undefined) return undefined;
  // A non-object context.time is left for the run's validation to report.
  if (inContext !== undefined && (inContext === null || typeof inContext !== 'object' || Array.isArray(inContext))) return undefined;
  return { ...now, ...inContext, ...time };
}

function readExpectation(src: YamlSource, fields: Map<string, Field>, path: YamlPath): CaseExpectation | undefined {
  const expect = fields.get('expect');
  const effectField = fields.get('expected_effect');
  if (expect !== undefined && effectField !== undefined) {
    src.problem(effectField.path, 'give either expect or expected_effect, not both');
    return undefined;
  }
  if (expect === undefined && effectField === undefined) {
    src.problem(path, 'expect is required (allow or deny)');
    return undefined;
  }
  const shorthand = expect === undefined || typeof expect.value === 'string';
  if (shorthand) {
    const field = (expect ?? effectField) as Field;
    const effect = parseEffect(field.value);
    if (effect === undefined) src.problem(field.path, 'must be allow or deny');
    return effect === undefined ? undefined : { effect: effect === Effect.ALLOW ? 'allow' : 'deny' };
  }
  const detail = fieldsOf(src, expect.value, expect.path, EXPECT_FIELDS);
  if (detail === undefined) return undefined;
  const effectEntry = detail.get('effect');
  const effect = effectEntry === undefined ? undefined : parseEffect(effectEntry.value);
  if (effect === undefined) src.problem(effectEntry?.path ?? expect.path, effectEntry === undefined ? 'effect is required (allow or deny)' : 'must be allow or deny');
  const reason = readString(src, detail.get('reason'));
  if (reason !== undefined && !(REASON_NAMES as readonly string[]).includes(reason)) {
    src.problem(detail.get('reason')!.path, `must be one of ${REASON_NAMES.join(', ')}`);
  }
  const policies = detail.get('matched_policies');
  const matchedPolicies = typeof policies?.value === 'string' ? [policies.value] : readStringList(src, policies);
  if (effect === undefined) return undefined;
  return {
    effect: effect === Effect.ALLOW ? 'allow' : 'deny',
    ...(reason !== undefined ? { reason: reason as ReasonName } : {}),
    ...(policies !== undefined ? { matchedPolicies } : {}),
    ...(detail.has('matched_role') ? { matchedRole: readString(src, detail.get('matched_role')) ?? '' } : {}),
    ...(detail.has('explanation_contains') ? { explanationContains: readString(src, detail.get('explanation_contains'), { required: true }) ?? '' } : {}),
  };
}

function readPrincipal(src: YamlSource, field: Field | undefined): Principal | undefined {
  if (field === undefined || field.value === null) return undefined;
  const fields = fieldsOf(src, field.value, field.path, PRINCIPAL_FIELDS);
  if (fields === undefined) return undefined;
  return create(PrincipalSchema, {
    id: readString(src, fields.get('id')) ?? '',
    userId: readString(src, fields.get('user_id')) ?? '',
    tenantId: readString(src, fields.get('tenant_id')) ?? '',
    roles: readStringList(src, fields.get('roles')),
    scopes: readStringList(src, fields.get('scopes')),
    attributes: readJsonObject(src, fields.get('attributes')),
  });
}

function readResource(src: YamlSource, field: Field | undefined): Resource | undefined {
  if (field === undefined || field.value === null) return undefined;
  const fields = fieldsOf(src, field.value, field.path, RESOURCE_FIELDS);
  if (fields === undefined) return undefined;
  return create(ResourceSchema, {
    kind: readString(src, fields.get('kind')) ?? '',
    id: readString(src, fields.get('id')) ?? '',
    attributes: readJsonObject(src, fields.get('attributes')),
  });
}
