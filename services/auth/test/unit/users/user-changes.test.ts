import { AegisError } from '@aegis/shared';
import { addedRoles, assignRoles, checkVersion, disableUser, enableUser, removedRoles, unassignRoles, updateProfile } from '../../../src/users/domain/user-changes.js';
import type { StoredUser } from '../../../src/users/domain/user.js';

const T = new Date('2025-06-01T12:00:00Z');

function user(over: Partial<StoredUser> = {}): StoredUser {
  return {
    tenantId: 'acme', id: 'u1', email: 'u1@acme.test', displayName: 'U1', roles: ['developer'], attributes: {},
    disabledAt: null, version: 3n, createTime: T, updateTime: T, lastLoginTime: null, ...over,
  };
}

function refusedWith(kind: string, fn: () => unknown): AegisError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AegisError && err.kind === kind) return err;
    throw err;
  }
  throw new Error(`expected ${kind}`);
}

const alone = { otherActiveAdmins: 0 };
const withOthers = { otherActiveAdmins: 1 };

describe('user changes', () => {
  test('expected_version 0 skips the check; another version is Aborted', () => {
    expect(() => checkVersion(user(), 0n)).not.toThrow();
    expect(() => checkVersion(user(), 3n)).not.toThrow();
    expect(refusedWith('aborted', () => checkVersion(user(), 2n)).message).toContain('read again');
  });

  test('updateProfile replaces name and attributes after the version check', () => {
    expect(updateProfile({ displayName: 'New', attributes: { department: 'ops' }, expectedVersion: 3n })(user(), alone)).toEqual({ displayName: 'New', attributes: { department: 'ops' } });
    refusedWith('aborted', () => updateProfile({ displayName: 'New', attributes: {}, expectedVersion: 9n })(user(), alone));
  });

  test('disable is idempotent and never takes the last active admin', () => {
    expect(disableUser(user(), alone)).toEqual({ disabled: true });
    expect(disableUser(user({ disabledAt: T }), alone)).toBeNull();
    expect(refusedWith('failed_precondition', () => disableUser(user({ roles: ['admin'] }), alone)).message).toContain('without an active admin');
    expect(disableUser(user({ roles: ['admin'] }), withOthers)).toEqual({ disabled: true });
  });

  test('enable is idempotent', () => {
    expect(enableUser(user({ disabledAt: T }), alone)).toEqual({ disabled: false });
    expect(enableUser(user(), alone)).toBeNull();
  });

  test('assignRoles adds only what is missing, keeping the order', () => {
    expect(assignRoles(['viewer', 'developer', 'ai_analyst'])(user(), alone)).toEqual({ roles: ['developer', 'viewer', 'ai_analyst'] });
    expect(assignRoles(['developer'])(user(), alone)).toBeNull();
  });

  test('unassignRoles ignores absent roles and never removes the last active admin', () => {
    expect(unassignRoles(['developer', 'viewer'])(user({ roles: ['developer', 'operator'] }), alone)).toEqual({ roles: ['operator'] });
    expect(unassignRoles(['viewer'])(user(), alone)).toBeNull();
    refusedWith('failed_precondition', () => unassignRoles(['admin'])(user({ roles: ['admin', 'developer'] }), alone));
    expect(unassignRoles(['admin'])(user({ roles: ['admin'] }), withOthers)).toEqual({ roles: [] });
    // A disabled admin is not an active one: removing its role leaves the tenant as it was.
    expect(unassignRoles(['admin'])(user({ roles: ['admin'], disabledAt: T }), alone)).toEqual({ roles: [] });
    // Removing another role from the last admin is fine.
    expect(unassignRoles(['developer'])(user({ roles: ['admin', 'developer'] }), alone)).toEqual({ roles: ['admin'] });
  });

  test('added and removed roles between two versions', () => {
    const before = user({ roles: ['developer', 'viewer'] });
    const after = user({ roles: ['viewer', 'operator'] });
    expect(addedRoles(before, after)).toEqual(['operator']);
    expect(removedRoles(before, after)).toEqual(['developer']);
  });
});
