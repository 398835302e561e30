import { compilePolicySet, decide, type JsonObject } from '../../../src/domain/index.js';

// Each row: a condition of an allow policy on `doc:read`, and whether it holds for this request.
const user = { department: 'finance', clearance_level: 'internal', age: 42, tags: ['a', 'b'], address: { country: 'DE' }, manager: null };
const data = { classification: 'confidential', size: 10, contains_pii: false };

const holds = (condition: JsonObject, at = '2024-03-13T10:00:00Z'): boolean => {
  const set = compilePolicySet({
    tenantId: 't',
    revision: 1,
    roles: [],
    policies: [{ name: 'p', condition, actions: ['doc:read'], effect: 'allow' }],
  });
  return decide(set, {
    tenantId: 't',
    principal: { id: 'u-1', roles: ['viewer'], attributes: user },
    action: 'read',
    resource: { kind: 'doc', id: 'd-9', attributes: data },
    context: { now: Date.parse(at), ip: '10.1.2.3', attributes: { channel: 'api' } },
  }).allowed;
};

test.each<[string, JsonObject, boolean]>([
  ['equality', { 'user.department': 'finance' }, true],
  ['equality, other value', { 'user.department': 'sales' }, false],
  ['equality is strict about types', { 'data.size': '10' }, false],
  ['$eq', { 'data.contains_pii': { $eq: false } }, true],
  ['$ne', { 'user.department': { $ne: 'sales' } }, true],
  ['$ne of a missing attribute holds', { 'user.nickname': { $ne: 'x' } }, true],
  ['$lt numbers', { 'user.age': { $lt: 50 } }, true],
  ['$lte numbers', { 'user.age': { $lte: 42 } }, true],
  ['$gt numbers', { 'user.age': { $gt: 42 } }, false],
  ['$gte numbers', { 'user.age': { $gte: 42 } }, true],
  ['levels order: internal < confidential', { 'user.clearance_level': { $lt: 'confidential' } }, true],
  ['levels order, not lexical ("internal" > "confidential" lexically)', { 'user.clearance_level': { $gt: 'confidential' } }, false],
  ['levels: restricted > confidential', { 'data.classification': { $lt: 'restricted', $gte: 'confidential' } }, true],
  ['levels: missing counts below public', { 'data.sensitivity': { $lt: 'public' } }, true],
  ['other strings compare lexically', { 'user.department': { $gt: 'banking' } }, true],
  ['mixed types do not compare', { 'user.age': { $lt: 'zzz' } }, false],
  ['missing attribute: ordered comparison is false', { 'user.height': { $gt: 1 } }, false],
  ['$in', { 'user.department': { $in: ['finance', 'legal'] } }, true],
  ['$in, not a member', { 'user.department': { $in: ['legal'] } }, false],
  ['$in on an array attribute: any element', { 'user.tags': { $in: ['b', 'z'] } }, true],
  ['$nin', { 'user.department': { $nin: ['legal'] } }, true],
  ['$nin of a missing attribute holds', { 'user.nickname': { $nin: ['x'] } }, true],
  ['equality against an array attribute: contains', { 'user.roles': 'viewer' }, true],
  ['$exists true', { 'user.manager': { $exists: true } }, true],
  ['$exists false', { 'user.nickname': { $exists: false } }, true],
  ['$exists false on a present attribute', { 'user.department': { $exists: false } }, false],
  ['nested attribute', { 'user.address.country': 'DE' }, true],
  ['no prototype properties', { 'user.constructor': { $exists: true } }, false],
  ['user.id and data.kind / data.id', { 'user.id': 'u-1', 'data.kind': 'doc', 'data.id': 'd-9' }, true],
  ['request.ip and request context', { 'request.ip': { $in: ['10.1.2.3'] }, 'request.channel': 'api' }, true],
  ['time.weekday in the tenant zone (UTC default)', { 'time.weekday': 'wednesday', 'time.hour': 10 }, true],
  ['$and', { $and: [{ 'user.department': 'finance' }, { 'user.age': { $gt: 40 } }] }, true],
  ['$and, one fails', { $and: [{ 'user.department': 'finance' }, { 'user.age': { $gt: 50 } }] }, false],
  ['$or', { $or: [{ 'user.department': 'sales' }, { 'user.age': 42 }] }, true],
  ['$or, none holds', { $or: [{ 'user.department': 'sales' }, { 'user.age': 41 }] }, false],
  ['$not', { $not: { 'user.department': 'sales' } }, true],
  ['field-level $not', { 'user.age': { $not: { $gt: 50 } } }, true],
  ['all keys must hold', { 'user.department': 'finance', 'user.age': 41 }, false],
  ['empty condition always holds', {}, true],
])('%s', (_label, condition, expected) => {
  expect(holds(condition)).toBe(expected);
});

test('business hours default to Monday-Friday 09:00-17:00 UTC', () => {
  expect(holds({ 'time.business_hours': true }, '2024-03-13T16:59:00Z')).toBe(true);
  expect(holds({ 'time.business_hours': true }, '2024-03-13T17:00:00Z')).toBe(false);
  expect(holds({ 'time.business_hours': true }, '2024-03-17T12:00:00Z')).toBe(false);
});

test('pinned time (policy tests) replaces the clock', () => {
  const set = compilePolicySet({ tenantId: 't', revision: 1, roles: [], policies: [{ name: 'p', condition: { 'time.business_hours': true }, actions: ['*'], effect: 'allow' }] });
  const at = (pinnedTime?: JsonObject) =>
    decide(set, { tenantId: 't', principal: { id: 'u', roles: [] }, action: 'read', resource: { kind: 'doc' }, context: { now: Date.parse('2024-03-17T03:00:00Z'), pinnedTime } }).allowed;
  expect(at()).toBe(false);
  expect(at({ business_hours: true })).toBe(true);
});
