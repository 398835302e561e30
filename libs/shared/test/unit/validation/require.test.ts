import { AegisError } from '../../../src/errors/index.js';
import {
  requireLength,
  requireNonEmpty,
  requireOneOf,
  requirePattern,
  requirePresent,
  requireRange,
  requireTenantId,
} from '../../../src/validation/index.js';

function invalidOf(run: () => unknown): AegisError {
  try {
    run();
  } catch (err) {
    if (err instanceof AegisError) return err;
    throw err;
  }
  throw new Error('expected an AegisError');
}

describe('validation helpers', () => {
  test('failures are invalid_argument errors naming the field path, without the value', () => {
    const err = invalidOf(() => requireLength('sk_live_very_secret', 'keys[0].label', 1, 8));
    expect(err.kind).toBe('invalid_argument');
    expect(err.field).toBe('keys[0].label');
    expect(err.message).toBe('keys[0].label: must be between 1 and 8 characters long');
    expect(err.message).not.toContain('sk_live');
  });

  test('requireNonEmpty rejects empty and blank strings and returns the value', () => {
    expect(requireNonEmpty('acme', 'name')).toBe('acme');
    expect(invalidOf(() => requireNonEmpty('', 'name')).field).toBe('name');
    expect(invalidOf(() => requireNonEmpty(' \t', 'name')).message).toBe('name: must not be empty');
  });

  test('requirePresent rejects undefined and null, keeps falsy values', () => {
    expect(requirePresent(0, 'limit')).toBe(0);
    expect(invalidOf(() => requirePresent(undefined, 'policy')).message).toBe('policy: is required');
    expect(invalidOf(() => requirePresent(null, 'policy')).kind).toBe('invalid_argument');
  });

  test.each(['acme', 'a', '0day', 'team_a-1', 'a'.repeat(63)])('requireTenantId accepts %s', (id) => {
    expect(requireTenantId(id)).toBe(id);
  });

  test.each(['', 'Acme', '-acme', '_acme', 'a.b', 'a b', 'ácme', 'a'.repeat(64)])('requireTenantId rejects %j', (id) => {
    expect(invalidOf(() => requireTenantId(id)).field).toBe('tenant_id');
  });

  test('requireTenantId uses the given field path', () => {
    expect(invalidOf(() => requireTenantId('X', 'scope.tenant_id')).field).toBe('scope.tenant_id');
  });

  test('requireLength counts code points, not UTF-16 units', () => {
    expect(requireLength('🔑🔑', 'label', 2, 2)).toBe('🔑🔑');
    expect(invalidOf(() => requireLength('abc', 'label', 4, 4)).message).toBe('label: must be exactly 4 characters long');
  });

  test('requirePattern describes the expectation and is safe with /g regexes', () => {
    const slug = /^[a-z]+$/g;
    expect(requirePattern('abc', 'slug', slug)).toBe('abc');
    expect(requirePattern('abc', 'slug', slug)).toBe('abc'); // a stateful /g test would fail here
    expect(invalidOf(() => requirePattern('A', 'slug', slug, 'lowercase letters')).message).toBe('slug: must match lowercase letters');
    expect(invalidOf(() => requirePattern('A', 'slug', /^[a-z]+$/)).message).toBe('slug: must match ^[a-z]+$');
  });

  test('requireRange works for numbers and bigints, inclusive, and rejects NaN', () => {
    expect(requireRange(1, 'limit', 1, 100)).toBe(1);
    expect(requireRange(100, 'limit', 1, 100)).toBe(100);
    expect(invalidOf(() => requireRange(101, 'limit', 1, 100)).message).toBe('limit: must be between 1 and 100');
    expect(invalidOf(() => requireRange(Number.NaN, 'limit', 1, 100)).field).toBe('limit');
    expect(requireRange(2n ** 62n, 'amount_micros', 0n, 2n ** 63n - 1n)).toBe(2n ** 62n);
    expect(invalidOf(() => requireRange(-1n, 'amount_micros', 0n, 10n)).field).toBe('amount_micros');
  });

  test('requireOneOf lists the allowed values', () => {
    expect(requireOneOf('deny', 'effect', ['allow', 'deny'] as const)).toBe('deny');
    expect(invalidOf(() => requireOneOf('maybe' as string, 'effect', ['allow', 'deny'])).message).toBe('effect: must be one of allow, deny');
    expect(invalidOf(() => requireOneOf(0, 'status', [1, 2])).field).toBe('status');
  });
});
