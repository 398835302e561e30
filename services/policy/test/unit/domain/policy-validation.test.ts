import { compilePolicySet, PolicySetCompileError, validatePolicy, type PolicyDraft } from '../../../src/domain/index.js';
import { FINANCIAL_DATA_ACCESS, PII_ACCESS_RESTRICTION } from './fixtures.js';

const valid: PolicyDraft = { name: 'p1', condition: { 'user.department': 'finance' }, actions: ['read'], effect: 'allow' };
const fieldsOf = (draft: PolicyDraft) => validatePolicy(draft).map((v) => v.field);

test('the Kaizen policies validate', () => {
  expect(validatePolicy(FINANCIAL_DATA_ACCESS)).toEqual([]);
  expect(validatePolicy(PII_ACCESS_RESTRICTION)).toEqual([]);
  expect(validatePolicy(valid)).toEqual([]);
});

test.each<[string, PolicyDraft, string, RegExp]>([
  ['unknown field operator', { condition: { 'user.clearance_level': { $lesser: 'confidential' } } }, 'policy.condition.user.clearance_level.$lesser', /unknown operator \$lesser/],
  ['unknown logical operator', { condition: { $xor: [] } }, 'policy.condition.$xor', /unknown operator \$xor/],
  ['bad attribute root', { condition: { 'env.ip': '1.2.3.4' } }, 'policy.condition.env.ip', /start with user\., data\., time\. or request\./],
  ['path without attribute', { condition: { user: 'x' } }, 'policy.condition.user', /names no attribute/],
  ['unknown time attribute', { condition: { 'time.bussiness_hours': true } }, 'policy.condition.time.bussiness_hours', /unknown time attribute/],
  ['bad operand of $lt', { condition: { 'user.level': { $lt: true } } }, 'policy.condition.user.level.$lt', /string or a number/],
  ['bad operand of $in', { condition: { 'user.level': { $in: 'a' } } }, 'policy.condition.user.level.$in', /list/],
  ['bad operand of $exists', { condition: { 'user.level': { $exists: 'yes' } } }, 'policy.condition.user.level.$exists', /true or false/],
  ['a list as a value', { condition: { 'user.level': ['a'] } }, 'policy.condition.user.level', /\$in/],
  ['empty operator object', { condition: { 'user.level': {} } }, 'policy.condition.user.level', /non-empty operator object/],
  ['nested inside $and', { condition: { $and: [{ 'user.a': 1 }, { 'user.b': { $foo: 1 } }] } }, 'policy.condition.$and[1].user.b.$foo', /unknown operator \$foo/],
  ['empty $or', { condition: { $or: [] } }, 'policy.condition.$or', /non-empty list/],
  ['inside field-level $not', { condition: { 'user.a': { $not: { $bad: 1 } } } }, 'policy.condition.user.a.$not.$bad', /unknown operator/],
  ['condition not an object', { condition: 'x' as unknown }, 'policy.condition', /must be an object/],
  ['bad effect', { effect: 'permit' }, 'policy.effect', /allow or deny/],
  ['missing effect', { effect: undefined }, 'policy.effect', /allow or deny/],
  ['bad action', { actions: ['read', 'Agent:read'] }, 'policy.actions[1]', /is not an action/],
  ['empty actions', { actions: [] }, 'policy.actions', /at least one action/],
  ['bad name', { name: 'Has Spaces' }, 'policy.name', /1-63 of \[a-z0-9_\]/],
])('%s', (_label, change, field, description) => {
  const violations = validatePolicy({ ...valid, ...change });
  expect(violations).toContainEqual({ field, description: expect.stringMatching(description) });
  expect(violations).toHaveLength(1);
});

test('every problem is reported, not just the first', () => {
  expect(fieldsOf({ name: '', effect: 'x', actions: [], condition: { 'foo.bar': 1, 'user.a': { $nope: 1 } } })).toEqual([
    'policy.name',
    'policy.effect',
    'policy.actions',
    'policy.condition.foo.bar',
    'policy.condition.user.a.$nope',
  ]);
});

test('the path prefix is the caller’s (e.g. draft_policies[0] in a policy test)', () => {
  expect(validatePolicy({ ...valid, effect: 'x' }, 'draft_policies[0]')).toEqual([{ field: 'draft_policies[0].effect', description: 'must be allow or deny' }]);
});

test('a snapshot with an invalid policy does not compile, even a disabled one', () => {
  expect(() =>
    compilePolicySet({ tenantId: 't', revision: 1, roles: [], policies: [{ ...FINANCIAL_DATA_ACCESS, enabled: false, condition: { 'x.y': 1 } }] }),
  ).toThrow(PolicySetCompileError);
  expect(() =>
    compilePolicySet({ tenantId: 't', revision: 1, roles: [], policies: [FINANCIAL_DATA_ACCESS, FINANCIAL_DATA_ACCESS] }),
  ).toThrow(/policies\[financial_data_access\]\.name: policy "financial_data_access" is defined twice/);
});

test('bad business hours are a compile error', () => {
  expect(() =>
    compilePolicySet({ tenantId: 't', revision: 1, roles: [], policies: [], businessHours: { timeZone: 'Mars/Olympus', weekdays: [8], startMinute: 600, endMinute: 500 } }),
  ).toThrow(/business_hours\.time_zone.*business_hours\.weekdays\[0\].*business_hours\.end_minute/);
});
