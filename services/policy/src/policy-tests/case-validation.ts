import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import type { PolicyTestCase } from '@aegis/proto/aegis/policy/v1/policy_test_service_pb.js';
import { TIME_ATTRIBUTE_NAMES, type FieldViolation, type JsonValue } from '../domain/index.js';

/** RunPolicyTestsRequest.cases: 1-10000 (policy_test_service.proto). */
export const MAX_CASES = 10_000;

const WEEKDAY_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/**
 * What is wrong with the cases of a run. A case's principal may leave tenant_id empty (it
 * then acts in the run's tenant); another tenant is refused, as Check refuses it.
 */
export function validateCases(tenantId: string, cases: readonly PolicyTestCase[]): FieldViolation[] {
  if (cases.length === 0 || cases.length > MAX_CASES) return [{ field: 'cases', description: `must hold 1-${MAX_CASES} cases` }];
  return cases.flatMap((c, i) => validateCase(tenantId, c, `cases[${i}]`));
}

function validateCase(tenantId: string, c: PolicyTestCase, path: string): FieldViolation[] {
  const out: FieldViolation[] = [];
  if (c.name.trim() === '') out.push({ field: `${path}.name`, description: 'must not be empty: results are reported by name' });
  if (c.principal === undefined) {
    out.push({ field: `${path}.principal`, description: 'is required' });
  } else if (c.principal.tenantId !== '' && c.principal.tenantId !== tenantId) {
    out.push({ field: `${path}.principal.tenant_id`, description: 'must be empty or equal tenant_id' });
  }
  if (c.action.trim() === '') out.push({ field: `${path}.action`, description: 'must not be empty' });
  if (c.resource === undefined) out.push({ field: `${path}.resource`, description: 'is required' });
  else if (c.resource.kind.trim() === '') out.push({ field: `${path}.resource.kind`, description: 'must not be empty' });
  if (c.expectedEffect !== Effect.ALLOW && c.expectedEffect !== Effect.DENY) {
    out.push({ field: `${path}.expected_effect`, description: 'must be EFFECT_ALLOW or EFFECT_DENY' });
  }
  const pinned = c.context?.['time'];
  if (pinned !== undefined) out.push(...pinnedTimeProblems(pinned, `${path}.context.time`));
  return out;
}

/**
 * `context.time` replaces the clock's `time.*` values, so a typo (`bussiness_hours`) or a
 * wrong type would silently leave a condition reading the real clock or never matching.
 */
function pinnedTimeProblems(pinned: JsonValue, path: string): FieldViolation[] {
  if (pinned === null || typeof pinned !== 'object' || Array.isArray(pinned)) {
    return [{ field: path, description: `must be an object of ${TIME_ATTRIBUTE_NAMES.join(', ')}` }];
  }
  const out: FieldViolation[] = [];
  for (const [name, value] of Object.entries(pinned)) {
    const field = `${path}.${name}`;
    const problem = timeValueProblem(name, value);
    if (problem !== undefined) out.push({ field, description: problem });
  }
  return out;
}

function timeValueProblem(name: string, value: JsonValue): string | undefined {
  const integerIn = (max: number) => typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
  switch (name) {
    case 'business_hours':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'hour':
      return integerIn(23) ? undefined : 'must be an integer 0-23';
    case 'minute':
      return integerIn(59) ? undefined : 'must be an integer 0-59';
    case 'weekday':
      return typeof value === 'string' && WEEKDAY_NAMES.includes(value) ? undefined : `must be a lower-case day name (${WEEKDAY_NAMES.join(', ')})`;
    default:
      return `unknown time attribute (known: ${TIME_ATTRIBUTE_NAMES.join(', ')})`;
  }
}
