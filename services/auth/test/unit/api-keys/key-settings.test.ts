import {
  requireEnvironment, requireFutureExpiry, requireGracePeriodMs, requireKeyName, requireMetadata, requireRolesOf, requireScopes,
} from '../../../src/api-keys/domain/key-settings.js';

const invalid = (field: string) => expect.objectContaining({ kind: 'invalid_argument', field });

describe('key settings', () => {
  test('names: 1-128 characters, no surrounding spaces or control characters', () => {
    expect(requireKeyName('CI deploy key')).toBe('CI deploy key');
    for (const bad of ['', ' padded', 'tab\there', 'x'.repeat(129)]) expect(() => requireKeyName(bad)).toThrow(invalid('name'));
  });

  test('environment: the key format\'s label', () => {
    expect(requireEnvironment('test')).toBe('test');
    for (const bad of ['Live', 'l', '1live', 'live_1', 'x'.repeat(17)]) expect(() => requireEnvironment(bad)).toThrow(invalid('environment'));
  });

  test('roles: a subset of the owner\'s, empty meaning all of them on creation only', () => {
    expect(requireRolesOf(['developer', 'viewer'], [], { allowEmpty: true })).toEqual(['developer', 'viewer']);
    expect(requireRolesOf(['developer', 'viewer'], ['viewer', 'viewer'], { allowEmpty: true })).toEqual(['viewer']);
    expect(() => requireRolesOf(['developer'], ['admin'], { allowEmpty: true })).toThrow(invalid('roles[0]'));
    expect(() => requireRolesOf(['developer'], [], { allowEmpty: false })).toThrow(invalid('roles'));
    expect(() => requireRolesOf([], [], { allowEmpty: true })).toThrow(invalid('roles'));
  });

  test('scopes: bounded, printable, de-duplicated', () => {
    expect(requireScopes(['policy:read', 'policy:read', 'agent:*'])).toEqual(['policy:read', 'agent:*']);
    expect(() => requireScopes(['has space'])).toThrow(invalid('scopes[0]'));
    expect(() => requireScopes(Array.from({ length: 65 }, (_, i) => `s${i}`))).toThrow(invalid('scopes'));
  });

  test('metadata: at most 32 entries, keys up to 64 and values up to 256 characters', () => {
    expect(requireMetadata({ b: '2', a: '1' })).toEqual({ a: '1', b: '2' });
    expect(() => requireMetadata(Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])))).toThrow(invalid('metadata'));
    expect(() => requireMetadata({ ['k'.repeat(65)]: 'v' })).toThrow(invalid('metadata key'));
    expect(() => requireMetadata({ team: 'v'.repeat(257) })).toThrow(invalid('metadata["team"]'));
  });

  test('expiry: unset means never; otherwise strictly in the future', () => {
    const now = new Date('2025-06-01T00:00:00Z');
    expect(requireFutureExpiry(undefined, now)).toBeNull();
    expect(requireFutureExpiry(new Date(now.getTime() + 1), now)).toEqual(new Date(now.getTime() + 1));
    expect(() => requireFutureExpiry(now, now)).toThrow(invalid('expire_time'));
  });

  test('grace period: 0 to 30 days', () => {
    expect(requireGracePeriodMs(0)).toBe(0);
    expect(requireGracePeriodMs(30 * 86_400_000)).toBe(30 * 86_400_000);
    expect(() => requireGracePeriodMs(-1)).toThrow(invalid('grace_period'));
    expect(() => requireGracePeriodMs(30 * 86_400_000 + 1)).toThrow(invalid('grace_period'));
  });
});
