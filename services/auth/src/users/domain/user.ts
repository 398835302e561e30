import type { JsonObject } from '@bufbuild/protobuf';

/** A user as stored; `version` counts changes (optimistic concurrency). */
export interface StoredUser {
  tenantId: string;
  id: string;
  /** Lower-cased; null for users created without one (the bootstrap administrator). */
  email: string | null;
  displayName: string;
  roles: string[];
  /** ABAC attributes, read by policies as `user.<name>`. */
  attributes: JsonObject;
  disabledAt: Date | null;
  version: bigint;
  createTime: Date;
  updateTime: Date;
  lastLoginTime: Date | null;
}

export interface NewUser {
  tenantId: string;
  id: string;
  email: string | null;
  displayName: string;
  roles: string[];
  attributes: JsonObject;
}

/** What a change sets; absent fields stay as they are. */
export interface UserPatch {
  displayName?: string;
  attributes?: JsonObject;
  roles?: string[];
  disabled?: boolean;
}

/** What a change decision may look at besides the user itself. */
export interface UserChangeContext {
  /** Active users holding `admin` in the tenant, not counting the user being changed. */
  otherActiveAdmins: number;
}

export const ADMIN_ROLE = 'admin';

export function isActiveAdmin(user: Pick<StoredUser, 'roles' | 'disabledAt'>): boolean {
  return user.disabledAt === null && user.roles.includes(ADMIN_ROLE);
}
