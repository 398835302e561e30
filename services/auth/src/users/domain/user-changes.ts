import type { JsonObject } from '@bufbuild/protobuf';
import { aborted, failedPrecondition } from '@aegis/shared';
import { ADMIN_ROLE, isActiveAdmin, type StoredUser, type UserChangeContext, type UserPatch } from './user.js';

// Each change is a decision over the current user (read under a lock by the store): it returns
// the patch to write, or null when the user already is as asked (idempotent calls write nothing
// and keep the version), or throws when the change is not allowed.

export type UserChange = (user: StoredUser, ctx: UserChangeContext) => UserPatch | null;

/** `expectedVersion` 0 skips the check, as every Update* of the contracts. */
export function checkVersion(user: { version: bigint }, expectedVersion: bigint): void {
  if (expectedVersion !== 0n && expectedVersion !== user.version) {
    throw aborted(`version ${expectedVersion} is stale (current ${user.version}): read again and retry`);
  }
}

export function updateProfile(input: { displayName: string; attributes: JsonObject; expectedVersion: bigint }): UserChange {
  return (user) => {
    checkVersion(user, input.expectedVersion);
    return { displayName: input.displayName, attributes: input.attributes };
  };
}

// A tenant must keep someone able to administer it: without an active admin nobody in the
// tenant could create users, assign roles or re-enable anyone.
function refuseLosingLastAdmin(user: StoredUser, ctx: UserChangeContext, what: string): void {
  if (isActiveAdmin(user) && ctx.otherActiveAdmins === 0) {
    throw failedPrecondition(`${what} would leave tenant "${user.tenantId}" without an active admin: give another user the admin role first`);
  }
}

export const disableUser: UserChange = (user, ctx) => {
  if (user.disabledAt !== null) return null;
  refuseLosingLastAdmin(user, ctx, 'disabling this user');
  return { disabled: true };
};

export const enableUser: UserChange = (user) => (user.disabledAt === null ? null : { disabled: false });

export function assignRoles(roles: readonly string[]): UserChange {
  return (user) => {
    const added = roles.filter((role) => !user.roles.includes(role));
    return added.length === 0 ? null : { roles: [...user.roles, ...added] };
  };
}

export function unassignRoles(roles: readonly string[]): UserChange {
  return (user, ctx) => {
    const kept = user.roles.filter((role) => !roles.includes(role));
    if (kept.length === user.roles.length) return null;
    if (!kept.includes(ADMIN_ROLE)) refuseLosingLastAdmin(user, ctx, 'removing the admin role');
    return { roles: kept };
  };
}

/** Roles the patch took away from the user (tokens carrying them must stop working). */
export function removedRoles(before: StoredUser, after: StoredUser): string[] {
  return before.roles.filter((role) => !after.roles.includes(role));
}

export function addedRoles(before: StoredUser, after: StoredUser): string[] {
  return after.roles.filter((role) => !before.roles.includes(role));
}
