import { AegisError } from '@aegis/shared';
import { normalizeEmail, requireAttributes, requireDisplayName, requireRoleNames, requireUserId } from '../../../src/users/domain/user-input.js';

function invalid(fn: () => unknown): AegisError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AegisError && err.kind === 'invalid_argument') return err;
    throw err;
  }
  throw new Error('expected InvalidArgument');
}

describe('normalizeEmail', () => {
  test('trims and lower-cases, so uniqueness is case-insensitive', () => {
    expect(normalizeEmail('  Alice.Smith+ai@Example.COM ')).toBe('alice.smith+ai@example.com');
  });

  test('refuses what cannot be an address, without repeating it', () => {
    for (const bad of ['', 'alice', 'alice@', '@example.com', 'alice@example', 'a b@example.com', 'alice@exa_mple.com', `${'a'.repeat(250)}@example.com`]) {
      const err = invalid(() => normalizeEmail(bad));
      expect(err.field).toBe('email');
      if (bad !== '') expect(err.message).not.toContain(bad);
    }
  });

  test('names the field it was given', () => {
    expect(invalid(() => normalizeEmail('nope', 'admin_email')).message).toMatch(/^admin_email: /);
  });
});

describe('requireRoleNames', () => {
  test('accepts the plan\'s roles and custom slugs, dropping duplicates in order', () => {
    expect(requireRoleNames(['developer', 'admin', 'ai_analyst', 'developer', 'operator', 'viewer'])).toEqual(['developer', 'admin', 'ai_analyst', 'operator', 'viewer']);
  });

  test('refuses anything that is not a slug, naming the index', () => {
    expect(invalid(() => requireRoleNames(['viewer', 'Admin'])).field).toBe('roles[1]');
    for (const bad of ['', '_x', 'a-b', 'a b', 'x'.repeat(64), 'rôle']) invalid(() => requireRoleNames([bad]));
  });

  test('refuses more than 64 roles', () => {
    invalid(() => requireRoleNames(Array.from({ length: 65 }, (_, i) => `r${i}`)));
  });
});

describe('requireAttributes', () => {
  test('keeps ABAC attributes as given; unset means none', () => {
    expect(requireAttributes({ department: 'finance', clearance_level: 3, tags: ['a'] })).toEqual({ department: 'finance', clearance_level: 3, tags: ['a'] });
    expect(requireAttributes(undefined)).toEqual({});
  });

  test('refuses bad names, nulls, too many and too large', () => {
    expect(invalid(() => requireAttributes({ 'Bad-Name': 1 })).field).toBe('attributes.Bad-Name');
    expect(invalid(() => requireAttributes({ 'a\nb': 1 })).field).toBe('attributes.<name>');
    expect(invalid(() => requireAttributes({ manager: null })).field).toBe('attributes.manager');
    invalid(() => requireAttributes(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`a${i}`, i]))));
    invalid(() => requireAttributes({ notes: 'x'.repeat(9_000) }));
  });
});

describe('requireDisplayName and requireUserId', () => {
  test('display names are trimmed, up to 200 characters, possibly empty', () => {
    expect(requireDisplayName('  Alice  ')).toBe('Alice');
    expect(requireDisplayName('')).toBe('');
    invalid(() => requireDisplayName('x'.repeat(201)));
  });

  test('user ids must be present and bounded', () => {
    expect(requireUserId('admin')).toBe('admin');
    invalid(() => requireUserId(' '));
    invalid(() => requireUserId('x'.repeat(129)));
  });
});
