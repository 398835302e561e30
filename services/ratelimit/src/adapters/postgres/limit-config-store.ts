import type { LimitOverride, LimitSet } from '@aegis/proto/aegis/ratelimit/v1/limit_config_pb.js';
import { LimitOverrideSchema, LimitSetSchema } from '@aegis/proto/aegis/ratelimit/v1/limit_config_pb.js';
import type { SqlDatabase } from '@aegis/shared';
import { dateOf, VersionedRows, type Page } from './versioned-rows.js';

const sets = new VersionedRows({
  noun: 'limit set',
  table: 'limit_sets',
  idColumn: 'name',
  schema: LimitSetSchema,
  idOf: (set) => set.name,
  change: (tenantId, name) => ({ kind: 'limit_set', tenantId, name }),
});

const overrides = new VersionedRows({
  noun: 'limit override',
  table: 'limit_overrides',
  idColumn: 'key',
  schema: LimitOverrideSchema,
  idOf: (override) => override.key,
  change: (tenantId, key) => ({ kind: 'override', tenantId, key }),
  expireTime: (override) => dateOf(override.expireTime),
});

/** Limit sets and overrides on the service's schema (Postgres or PGlite). Documents arrive validated. */
export class LimitConfigStore {
  constructor(private readonly db: SqlDatabase) {}

  createLimitSet(tenantId: string, set: LimitSet, by: string): Promise<LimitSet> {
    return sets.write(this.db, tenantId, set, by, { create: true });
  }

  updateLimitSet(tenantId: string, set: LimitSet, by: string, expectedVersion: bigint): Promise<LimitSet> {
    return sets.write(this.db, tenantId, set, by, { expectedVersion, upsert: false });
  }

  getLimitSet(tenantId: string, name: string): Promise<LimitSet | undefined> {
    return sets.get(this.db, tenantId, name);
  }

  listLimitSets(tenantId: string, pageSize: number, pageToken: string): Promise<Page<LimitSet>> {
    return sets.list(this.db, tenantId, pageSize, pageToken);
  }

  deleteLimitSet(tenantId: string, name: string, expectedVersion: bigint): Promise<LimitSet> {
    return sets.delete(this.db, tenantId, name, expectedVersion);
  }

  setOverride(tenantId: string, override: LimitOverride, by: string, expectedVersion: bigint): Promise<LimitOverride> {
    return overrides.write(this.db, tenantId, override, by, { expectedVersion, upsert: true });
  }

  getOverride(tenantId: string, key: string): Promise<LimitOverride | undefined> {
    return overrides.get(this.db, tenantId, key);
  }

  listOverrides(tenantId: string, pageSize: number, pageToken: string): Promise<Page<LimitOverride>> {
    return overrides.list(this.db, tenantId, pageSize, pageToken);
  }

  deleteOverride(tenantId: string, key: string, expectedVersion: bigint): Promise<LimitOverride> {
    return overrides.delete(this.db, tenantId, key, expectedVersion);
  }

  async loadAll(): Promise<{ sets: LimitSet[]; overrides: LimitOverride[] }> {
    return { sets: await sets.all(this.db), overrides: await overrides.all(this.db) };
  }
}
