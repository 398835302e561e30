import { alreadyExists, notFound, type SqlDatabase } from '@aegis/shared';
import { ADMIN_ROLE, type NewUser, type StoredUser, type UserPatch } from '../../domain/user.js';
import type { UserChange } from '../../domain/user-changes.js';
import type { UserListQuery, UserStore } from '../../ports.js';
import { FOREIGN_KEY_VIOLATION, insertUser, selectUsers, sqlState, UNIQUE_VIOLATION, USER_COLUMNS, userFromRow, type UserRow } from './rows.js';

export class PostgresUserStore implements UserStore {
  async recordLogin(tenantId: string, userId: string, at: Date): Promise<void> {
    await this.db.query('UPDATE users SET last_login_time = $3 WHERE tenant_id = $1 AND id = $2', [tenantId, userId, at]);
  }

  constructor(private readonly db: SqlDatabase) {}

  async create(user: NewUser): Promise<StoredUser> {
    try {
      return await insertUser(this.db, user);
    } catch (err) {
      const state = sqlState(err);
      // The message names neither the e-mail nor whose it is: existence of an address is personal data.
      if (state === UNIQUE_VIOLATION) throw alreadyExists('a user with this e-mail in the tenant');
      if (state === FOREIGN_KEY_VIOLATION) throw notFound('tenant', user.tenantId);
      throw err;
    }
  }

  async get(tenantId: string, userId: string): Promise<StoredUser | undefined> {
    return (await selectUsers(this.db, 'tenant_id = $1 AND id = $2', [tenantId, userId]))[0];
  }

  async findByEmail(tenantId: string, email: string): Promise<StoredUser | undefined> {
    return (await selectUsers(this.db, 'tenant_id = $1 AND email = $2', [tenantId, email]))[0];
  }

  list(query: UserListQuery): Promise<StoredUser[]> {
    const params: unknown[] = [query.tenantId];
    const where = ['tenant_id = $1'];
    if (query.role !== undefined) {
      params.push(query.role);
      where.push(`$${params.length} = ANY (roles)`);
    }
    if (!query.includeDisabled) where.push('disabled_at IS NULL');
    if (query.after !== undefined) {
      params.push(query.after[0], query.after[1]);
      where.push(`(coalesce(email, ''), id) > ($${params.length - 1}::text, $${params.length}::text)`);
    }
    params.push(query.limit);
    return selectUsers(this.db, where.join(' AND '), params, `ORDER BY coalesce(email, ''), id LIMIT $${params.length}`);
  }

  async idsOfTenant(tenantId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>('SELECT id FROM users WHERE tenant_id = $1', [tenantId]);
    return rows.map((row) => row.id);
  }

  modify(tenantId: string, userId: string, change: UserChange): Promise<{ before: StoredUser; after: StoredUser } | undefined> {
    return this.db.transaction(async (tx) => {
      // Serialises user changes per tenant (not creates: NO KEY UPDATE leaves the FK's KEY SHARE
      // lock free), so the last-admin rule holds under concurrent calls.
      const tenant = await tx.query('SELECT 1 FROM tenants WHERE id = $1 FOR NO KEY UPDATE', [tenantId]);
      if (tenant.rows.length === 0) return undefined;
      const before = (await selectUsers(tx, 'tenant_id = $1 AND id = $2', [tenantId, userId]))[0];
      if (before === undefined) return undefined;
      const admins = await tx.query<{ n: string }>(
        `SELECT count(*) AS n FROM users WHERE tenant_id = $1 AND id <> $2 AND disabled_at IS NULL AND $3 = ANY (roles)`,
        [tenantId, userId, ADMIN_ROLE],
      );
      const patch = change(before, { otherActiveAdmins: Number(admins.rows[0]!.n) });
      const { sets, params } = assignments(patch ?? {});
      if (sets.length === 0) return { before, after: before };
      const { rows } = await tx.query<UserRow>(
        `UPDATE users SET ${sets.join(', ')}, version = version + 1, update_time = now()
          WHERE tenant_id = $1 AND id = $2 RETURNING ${USER_COLUMNS}`,
        [tenantId, userId, ...params],
      );
      return { before, after: userFromRow(rows[0]!) };
    });
  }
}

/** SET clauses for the fields a patch carries; parameters numbered after tenant_id ($1) and id ($2). */
function assignments(patch: UserPatch): { sets: string[]; params: unknown[] } {
  const sets: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length + 2}`;
  };
  if (patch.displayName !== undefined) sets.push(`display_name = ${param(patch.displayName)}`);
  if (patch.attributes !== undefined) sets.push(`attributes = ${param(JSON.stringify(patch.attributes))}::jsonb`);
  if (patch.roles !== undefined) sets.push(`roles = ${param(patch.roles)}::text[]`);
  if (patch.disabled !== undefined) sets.push(patch.disabled ? 'disabled_at = now()' : 'disabled_at = NULL');
  return { sets, params };
}
