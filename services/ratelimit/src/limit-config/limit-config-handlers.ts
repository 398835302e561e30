import type { ServiceImpl } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { LimitConfigService } from '@aegis/proto/aegis/ratelimit/v1/limit_config_service_pb.js';
import { LimitOverrideSchema, LimitSetSchema, type LimitOverride, type LimitSet } from '@aegis/proto/aegis/ratelimit/v1/limit_config_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { invalidArgument, notFound, requirePresent, requireTenantId, type Logger } from '@aegis/shared';
import { authorOf } from '../authorization.js';
import { requireKey } from '../checks/effective-limits.js';
import { LIMIT_NAME_PATTERN, TIER_LIMITS, TIERS } from '../domain/index.js';
import type { LimitConfigStore } from '../adapters/postgres/limit-config-store.js';
import { limitToProto, tierToProto } from '../mapping/limits.js';
import { actorOf, configAudit } from './audit.js';
import { limitSetSpec, overrideSpec } from './config-specs.js';

export interface LimitConfigHandlerDeps {
  store: LimitConfigStore;
  publish(event: Event): Promise<void>;
  logger: Logger;
  now(): number;
}

const MAX_DESCRIPTION = 1024;
const MAX_CONCURRENT = 100_000;

function sameTenant(given: string, tenantId: string, field: string): void {
  if (given !== '' && given !== tenantId) throw invalidArgument(field, 'must be empty or equal tenant_id');
}

function validSet(tenantId: string, set: LimitSet | undefined): LimitSet {
  const present = requirePresent(set, 'limit_set');
  sameTenant(present.tenantId, tenantId, 'limit_set.tenant_id');
  if (!LIMIT_NAME_PATTERN.test(present.name)) throw invalidArgument('limit_set.name', 'must be 1-63 of a-z, 0-9, "_" or "-"');
  if ([...present.description].length > MAX_DESCRIPTION) throw invalidArgument('limit_set.description', `must be at most ${MAX_DESCRIPTION} characters`);
  limitSetSpec(present);
  return create(LimitSetSchema, { name: present.name, description: present.description, limits: present.limits });
}

function validOverride(tenantId: string, override: LimitOverride | undefined, nowMs: number): LimitOverride {
  const present = requirePresent(override, 'override');
  sameTenant(present.tenantId, tenantId, 'override.tenant_id');
  if (present.key !== '') requireKey(present.key, 'override.key');
  overrideSpec(present);
  if (present.maxConcurrent !== undefined && (present.maxConcurrent < 1n || present.maxConcurrent > BigInt(MAX_CONCURRENT))) {
    throw invalidArgument('override.max_concurrent', `must be between 1 and ${MAX_CONCURRENT}`);
  }
  if (present.expireTime !== undefined && timestampMs(present.expireTime) <= nowMs) throw invalidArgument('override.expire_time', 'must be in the future');
  if ([...present.reason].length > MAX_DESCRIPTION) throw invalidArgument('override.reason', `must be at most ${MAX_DESCRIPTION} characters`);
  return create(LimitOverrideSchema, { key: present.key, tier: present.tier, limits: present.limits, maxConcurrent: present.maxConcurrent, expireTime: present.expireTime, reason: present.reason });
}

/** LimitConfigService: validated writes to Postgres; every instance picks them up via the config cache. */
export function limitConfigHandlers(deps: LimitConfigHandlerDeps): ServiceImpl<typeof LimitConfigService> {
  const audit = (event: Event): void => {
    // The change is committed; a lost audit event is logged loudly rather than failing the call.
    deps.publish(event).catch((err: unknown) => deps.logger.error({ err, action: event.action }, 'ratelimit: could not publish the audit event'));
  };
  return {
    async createLimitSet(req, ctx) {
      const tenantId = requireTenantId(req.tenantId);
      const set = await deps.store.createLimitSet(tenantId, validSet(tenantId, req.limitSet), authorOf(ctx));
      audit(configAudit('limit_set.changed', { tenantId, actor: actorOf(ctx), kind: 'limit_set', id: set.name, change: 'created', version: set.version }));
      return { limitSet: set };
    },
    async getLimitSet(req) {
      const tenantId = requireTenantId(req.tenantId);
      const set = await deps.store.getLimitSet(tenantId, req.name);
      if (set === undefined) throw notFound('limit set', req.name);
      return { limitSet: set };
    },
    async listLimitSets(req) {
      const tenantId = requireTenantId(req.tenantId);
      const page = await deps.store.listLimitSets(tenantId, req.pageSize, req.pageToken);
      return { limitSets: page.items, nextPageToken: page.nextPageToken };
    },
    async updateLimitSet(req, ctx) {
      const tenantId = requireTenantId(req.tenantId);
      const set = await deps.store.updateLimitSet(tenantId, validSet(tenantId, req.limitSet), authorOf(ctx), req.expectedVersion);
      audit(configAudit('limit_set.changed', { tenantId, actor: actorOf(ctx), kind: 'limit_set', id: set.name, change: 'updated', version: set.version }));
      return { limitSet: set };
    },
    async deleteLimitSet(req, ctx) {
      const tenantId = requireTenantId(req.tenantId);
      const set = await deps.store.deleteLimitSet(tenantId, req.name, req.expectedVersion);
      audit(configAudit('limit_set.changed', { tenantId, actor: actorOf(ctx), kind: 'limit_set', id: set.name, change: 'deleted', version: set.version }));
      return {};
    },
    async setLimitOverride(req, ctx) {
      const tenantId = requireTenantId(req.tenantId);
      const override = await deps.store.setOverride(tenantId, validOverride(tenantId, req.override, deps.now()), authorOf(ctx), req.expectedVersion);
      audit(configAudit('limit_override.changed', { tenantId, actor: actorOf(ctx), kind: 'limit_override', id: override.key, change: 'set', version: override.version, reason: override.reason }));
      return { override };
    },
    async getLimitOverride(req) {
      const tenantId = requireTenantId(req.tenantId);
      const override = await deps.store.getOverride(tenantId, req.key);
      if (override === undefined) throw notFound('limit override', req.key === '' ? '(tenant-wide)' : req.key);
      return { override };
    },
    async listLimitOverrides(req) {
      const tenantId = requireTenantId(req.tenantId);
      const page = await deps.store.listOverrides(tenantId, req.pageSize, req.pageToken);
      return { overrides: page.items, nextPageToken: page.nextPageToken };
    },
    async deleteLimitOverride(req, ctx) {
      const tenantId = requireTenantId(req.tenantId);
      const override = await deps.store.deleteOverride(tenantId, req.key, req.expectedVersion);
      audit(configAudit('limit_override.changed', { tenantId, actor: actorOf(ctx), kind: 'limit_override', id: override.key, change: 'deleted', version: override.version }));
      return {};
    },
    listTiers(req) {
      const tenantId = requireTenantId(req.tenantId);
      return { tiers: TIERS.map((tier) => ({ tier: tierToProto(tier), limits: TIER_LIMITS[tier].map(limitToProto) })) };
    },
  };
}
