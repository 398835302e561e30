import type { SqlExecutor } from '@aegis/shared';

/** The IANA time zone of each tenant, for aligning budget and usage periods. */
export interface TenantZones {
  /** The tenant's zone, or "UTC" when it is unknown. */
  zoneOf(tenantId: string): string;
}

export const UTC_ZONES: TenantZones = { zoneOf: () => 'UTC' };

/** A tenant's zone as auth last published it. */
export interface TenantZone {
  tenantId: string;
  timeZone: string;
  /** auth's Tenant.version: only a higher one replaces a stored zone. */
  version: bigint;
}

/**
 * The `tenant_zones` table (filled by the tenant settings consumer) held in memory, because
 * zoneOf sits on the hot paths (every booked batch, every CheckBudget) and must not wait for
 * the database. Loaded at start-up, refreshed per tenant when a change is announced and in
 * full now and then (a lost announcement heals within that interval).
 */
export class TenantZoneBook implements TenantZones {
  #zones = new Map<string, string>();

  constructor(private readonly db: SqlExecutor) {}

  zoneOf(tenantId: string): string {
    return this.#zones.get(tenantId) ?? 'UTC';
  }

  /** Re-reads every tenant's zone. */
  async load(): Promise<void> {
    const { rows } = await this.db.query<{ tenant_id: string; time_zone: string }>('SELECT tenant_id, time_zone FROM tenant_zones');
    this.#zones = new Map(rows.map((r) => [r.tenant_id, r.time_zone]));
  }

  /** Re-reads one tenant's zone (after a change announcement). */
  async refresh(tenantId: string): Promise<void> {
    const { rows } = await this.db.query<{ time_zone: string }>('SELECT time_zone FROM tenant_zones WHERE tenant_id = $1', [tenantId]);
    if (rows[0] === undefined) this.#zones.delete(tenantId);
    else this.#zones.set(tenantId, rows[0].time_zone);
  }
}

/**
 * Stores the zone if its version is newer than the stored one; true when it was. The upsert's
 * row lock orders concurrent writers of one tenant, and the WHERE then sees the winner's version.
 */
export async function applyTenantZone(db: SqlExecutor, zone: TenantZone): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO tenant_zones AS z (tenant_id, time_zone, version, update_time) VALUES ($1, $2, $3, now())
     ON CONFLICT (tenant_id) DO UPDATE SET time_zone = EXCLUDED.time_zone, version = EXCLUDED.version, update_time = EXCLUDED.update_time
       WHERE z.version < EXCLUDED.version
     RETURNING tenant_id`,
    [zone.tenantId, zone.timeZone, zone.version.toString()]);
  return rows.length > 0;
}
