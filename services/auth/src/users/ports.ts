import type { UserChange } from './domain/user-changes.js';
import type { NewTenant, StoredTenant, TenantPatch } from './domain/tenant.js';
import type { NewUser, StoredUser } from './domain/user.js';

export interface UserListQuery {
  tenantId: string;
  /** Only users holding this role. */
  role?: string;
  includeDisabled: boolean;
  limit: number;
  /** Sort key (e-mail or '', id) of the last user of the previous page. */
  after?: [string, string];
}

export interface UserStore {
  /** Throws AlreadyExists when the e-mail is taken in the tenant, NotFound when the tenant does not exist. */
  create(user: NewUser): Promise<StoredUser>;
  get(tenantId: string, userId: string): Promise<StoredUser | undefined>;
  findByEmail(tenantId: string, email: string): Promise<StoredUser | undefined>;
  /** Ordered by e-mail (users without one first), then id. */
  list(query: UserListQuery): Promise<StoredUser[]>;
  /**
   * Applies `change` to the user under a lock that serialises changes within the tenant (so two
   * concurrent "remove the last admin" calls cannot both pass). Undefined when the user does not
   * exist; `after` is `before` when the change decided there was nothing to do.
   */
  modify(tenantId: string, userId: string, change: UserChange): Promise<{ before: StoredUser; after: StoredUser } | undefined>;
  /** Sets last_login_time only (no version bump: a login is not an edit of the user). */
  recordLogin(tenantId: string, userId: string, at: Date): Promise<void>;
  /** Ids of the tenant's users (for tenant-wide credential invalidation). */
  idsOfTenant(tenantId: string): Promise<string[]>;
}

export interface TenantStore {
  /** The tenant and its first admin in one transaction; throws AlreadyExists when the id is taken. */
  create(tenant: NewTenant, admin: NewUser): Promise<{ tenant: StoredTenant; admin: StoredUser }>;
  get(tenantId: string): Promise<StoredTenant | undefined>;
  /** Ordered by id. */
  list(query: { limit: number; afterId?: string }): Promise<StoredTenant[]>;
  modify(tenantId: string, change: (tenant: StoredTenant) => TenantPatch): Promise<{ before: StoredTenant; after: StoredTenant } | undefined>;
}

/** An external account linked to a user by an SSO login. */
export interface LinkedIdentityRecord {
  providerId: string;
  subject: string;
  linkTime: Date;
}

/** External identities linked to a user; owned by the SSO module (its `linkedIdentities`). */
export type LinkedIdentityReader = (tenantId: string, userId: string) => Promise<LinkedIdentityRecord[]>;

/**
 * What other modules do when a user is disabled: `CredentialInvalidation` of module-ports.ts
 * (any implementation of it fits), optionally reporting what it ended so DisableUser can answer
 * the counts its contract promises.
 */
export interface UserCredentialInvalidation {
  /** Stop the user's credentials working now (cached verdicts, live tokens); tenant lock-outs use this. */
  invalidateUser(tenantId: string, userId: string): Promise<void | InvalidationCounts>;
  /**
   * DisableUser: end the user's credentials for good (the contract: revoked keys and sessions
   * stay revoked after EnableUser). Modules without it get `invalidateUser`.
   */
  revokeUser?(tenantId: string, userId: string): Promise<void | InvalidationCounts>;
}

export interface InvalidationCounts {
  revokedApiKeys?: number;
  revokedSessions?: number;
}

/**
 * Links to the other modules, wired by definition.ts. Read at call time, so they may be
 * completed after the module is built (the SSO module needs this module's directory first).
 */
export interface UsersLinks {
  /** Every module's `CredentialInvalidation` (api-keys, tokens, sso); empty until they are wired. */
  invalidations: readonly UserCredentialInvalidation[];
  /** Linked identities for `User.identities`; without it the list is empty. */
  identities?: LinkedIdentityReader;
}
