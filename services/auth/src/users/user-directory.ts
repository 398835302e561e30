import { requireTenantId } from '@aegis/shared';
import type { UserDirectory, UserRecord } from '../module-ports.js';
import { actorOf } from './audit.js';
import { normalizeEmail, requireDisplayName, requireRoleNames } from './domain/user-input.js';
import { userToRecord } from './proto-mapping.js';
import type { UserAccounts } from './user-accounts.js';

/**
 * The users module's side of `UserDirectory`, for the SSO module: find the user a login belongs
 * to, or create them on first login. Input is checked like CreateUser's, since it comes from an
 * identity provider's claims.
 */
export class AccountDirectory implements UserDirectory {
  constructor(private readonly users: UserAccounts) {}

  async get(tenantId: string, userId: string): Promise<UserRecord | undefined> {
    const user = await this.users.find(tenantId, userId);
    return user === undefined ? undefined : userToRecord(user);
  }

  async findByEmail(tenantId: string, email: string): Promise<UserRecord | undefined> {
    const user = await this.users.findByEmail(tenantId, normalizeEmail(email));
    return user === undefined ? undefined : userToRecord(user);
  }

  /** Audited as `user.created` by the auth service itself (no caller principal on a login). */
  async create(input: { tenantId: string; email: string | null; displayName: string; roles: string[] }): Promise<UserRecord> {
    const user = await this.users.create(actorOf(undefined), {
      tenantId: requireTenantId(input.tenantId),
      email: input.email === null ? null : normalizeEmail(input.email),
      displayName: requireDisplayName(input.displayName),
      roles: requireRoleNames(input.roles),
      attributes: {},
    });
    return userToRecord(user);
  }

  recordLogin(tenantId: string, userId: string, at: Date): Promise<void> {
    return this.users.recordLogin(tenantId, userId, at);
  }
}
