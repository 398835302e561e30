import { alreadyExists, type SqlDatabase } from '@aegis/shared';
import type { NewTenant, StoredTenant, TenantPatch } from '../../domain/tenant.js';
import type { NewUser, StoredUser } from '../../domain/user.js';
import type { TenantStore } from '../../ports.js';
import { insertUser, selectTenants, TENANT_COLUMNS, tenantFromRow, type TenantRow } from './rows.js';

export class PostgresTenantStore implements TenantStore {
  constructor(private readonly db: SqlDatabase) {}

  create(tenant: NewTenant, admin: NewUser): Promise<{ tenant: StoredTenant; admin: StoredUser }> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<TenantRow>(
        `INSERT INTO tenants (id, display_name, time_zone, business_hours) VALUES ($1, $2, $3, $4::jsonb)
         ON CONFLICT (id) DO NOTHING RETURNING ${TENANT_COLUMNS}`,
        [tenant.id, tenant.displayName, tenant.timeZone, tenant.businessHours === null ? null : JSON.stringify(tenant.businessHours)],
      );
      if (rows.length === 0) throw alreadyExists('tenant', tenant.id);
      return { tenant: tenantFromRow(rows[0]!), admin: await insertUser(tx, admin) };
    });
  }

  async get(tenantId: string): Promise<StoredTenant | undefined> {
    return (await selectTenants(this.db, 'id = $1', [tenantId]))[0];
  }

  list(query: { limit: number; afterId?: string }): Promise<StoredTenant[]> {
    return query.afterId === undefined
      ? selectTenants(this.db, 'true', [query.limit], 'ORDER BY id LIMIT $1')
      : selectTenants(this.db, 'id > $1', [query.afterId, query.limit], 'ORDER BY id LIMIT $2');
  }

  modify(tenantId: string, change: (tenant: StoredTenant) => TenantPatch): Promise<{ before: StoredTenant; after: StoredTenant } | undefined> {
    return this.db.transaction(async (tx) => {
      const before = (await selectTenants(tx, 'id = $1', [tenantId], 'FOR NO KEY UPDATE'))[0];
      if (before === undefined) return undefined;
      const patch = change(before);
      const { rows } = await tx.query<TenantRow>(
        `UPDATE tenants
            SET display_name = $2, time_zone = $3, business_hours = $4::jsonb,
                disabled_at = CASE WHEN $5::boolean THEN coalesce(disabled_at, now()) ELSE NULL END,
                version = version + 1, update_time = now()
          WHERE id = $1 RETURNING ${TENANT_COLUMNS}`,
        [tenantId, patch.displayName, patch.timeZone, patch.businessHours === null ? null : JSON.stringify(patch.businessHours), patch.disabled],
      );
      return { before, after: tenantFromRow(rows[0]!) };
    });
  }
}
