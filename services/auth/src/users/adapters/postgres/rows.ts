import type { JsonObject } from '@bufbuild/protobuf';
import type { SqlExecutor } from '@aegis/shared';
import type { BusinessHours, StoredTenant } from '../../domain/tenant.js';
import type { NewUser, StoredUser } from '../../domain/user.js';

// Row shapes and mapping shared by the user and tenant stores. int8 arrives as a string on both
// engines (see pglite-database.ts), timestamptz as a Date, jsonb already parsed.

export const USER_COLUMNS = 'tenant_id, id, email, display_name, roles, attributes, disabled_at, version, create_time, update_time, last_login_time';

export interface UserRow {
  tenant_id: string;
  id: string;
  email: string | null;
  display_name: string;
  roles: string[];
  attributes: JsonObject;
  disabled_at: Date | null;
  version: string;
  create_time: Date;
  update_time: Date;
  last_login_time: Date | null;
}

export function userFromRow(row: UserRow): StoredUser {
  return {
    tenantId: row.tenant_id,
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    roles: row.roles,
    attributes: row.attributes,
    disabledAt: row.disabled_at,
    version: BigInt(row.version),
    createTime: row.create_time,
    updateTime: row.update_time,
    lastLoginTime: row.last_login_time,
  };
}

export async function insertUser(db: SqlExecutor, user: NewUser): Promise<StoredUser> {
  const { rows } = await db.query<UserRow>(
    `INSERT INTO users (tenant_id, id, email, display_name, roles, attributes)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb)
     RETURNING ${USER_COLUMNS}`,
    [user.tenantId, user.id, user.email, user.displayName, user.roles, JSON.stringify(user.attributes)],
  );
  return userFromRow(rows[0]!);
}

export async function selectUsers(db: SqlExecutor, where: string, params: readonly unknown[], tail = ''): Promise<StoredUser[]> {
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE ${where} ${tail}`, params);
  return rows.map(userFromRow);
}

export const TENANT_COLUMNS = 'id, display_name, time_zone, business_hours, disabled_at, version, create_time, update_time';

export interface TenantRow {
  id: string;
  display_name: string;
  time_zone: string;
  business_hours: BusinessHours | null;
  disabled_at: Date | null;
  version: string;
  create_time: Date;
  update_time: Date;
}

export function tenantFromRow(row: TenantRow): StoredTenant {
  return {
    id: row.id,
    displayName: row.display_name,
    timeZone: row.time_zone,
    businessHours: row.business_hours,
    disabledAt: row.disabled_at,
    version: BigInt(row.version),
    createTime: row.create_time,
    updateTime: row.update_time,
  };
}

export async function selectTenants(db: SqlExecutor, where: string, params: readonly unknown[], tail = ''): Promise<StoredTenant[]> {
  const { rows } = await db.query<TenantRow>(`SELECT ${TENANT_COLUMNS} FROM tenants WHERE ${where} ${tail}`, params);
  return rows.map(tenantFromRow);
}

/** Postgres SQLSTATE of a failed statement (both engines set `code`). */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';
