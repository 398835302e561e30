import type { SqlDatabase } from '@aegis/shared';
import { bumpPolicyVersion, encodePolicyChange, POLICY_CHANGED_CHANNEL } from '../store/index.js';
import type { TenantSettings } from './tenant-settings.js';

export interface TenantSettingsWriter {
  /** Stores the settings if their version is newer than the stored one; true when they were. */
  apply(settings: TenantSettings): Promise<boolean>;
}

/**
 * `tenant_settings` on the policy schema. A newer version is written in one transaction with
 * a bump of the tenant's policy version and its `policy_changed` notification, exactly like a
 * role or policy change: every instance's SnapshotCache reloads the tenant (snapshots read
 * the settings too) and TenantPolicySets recompiles it with the new clock, and the periodic
 * version check covers a lost notification. An older or equal version changes nothing.
 */
export class PostgresTenantSettingsStore implements TenantSettingsWriter {
  constructor(private readonly db: SqlDatabase) {}

  apply(settings: TenantSettings): Promise<boolean> {
    const hours = settings.businessHours;
    return this.db.transaction(async (tx) => {
      // The upsert's row lock orders concurrent writers of one tenant (a rebalance can hand a
      // partition over mid-batch); the WHERE then sees the winner's version.
      const { rows } = await tx.query<{ version: string }>(
        `INSERT INTO tenant_settings AS s (tenant_id, time_zone, weekdays, start_minute, end_minute, version, update_time)
         VALUES ($1, $2, $3::integer[], $4, $5, $6, now())
         ON CONFLICT (tenant_id) DO UPDATE
           SET time_zone = EXCLUDED.time_zone, weekdays = EXCLUDED.weekdays, start_minute = EXCLUDED.start_minute,
               end_minute = EXCLUDED.end_minute, version = EXCLUDED.version, update_time = EXCLUDED.update_time
           WHERE s.version < EXCLUDED.version
         RETURNING version`,
        [settings.tenantId, hours.timeZone, [...hours.weekdays], hours.startMinute, hours.endMinute, settings.version.toString()],
      );
      if (rows.length === 0) return false;
      const policyVersion = await bumpPolicyVersion(tx, settings.tenantId);
      await tx.query('SELECT pg_notify($1, $2)', [POLICY_CHANGED_CHANNEL, encodePolicyChange({ tenantId: settings.tenantId, policyVersion })]);
      return true;
    });
  }

  /** The stored version of a tenant's settings (undefined: none received yet). */
  async version(tenantId: string): Promise<bigint | undefined> {
    const { rows } = await this.db.query<{ version: string }>('SELECT version FROM tenant_settings WHERE tenant_id = $1', [tenantId]);
    return rows[0] === undefined ? undefined : BigInt(rows[0].version);
  }
}
