import type { LimitSpec } from './limit.js';
import { TIER_LIMITS, type Tier } from './tiers.js';

// Which limits apply to one check (limit.proto, LimitSelector): the tier's, then the named
// set's, then the inline ones, then the tenant-wide override's, then the key's, each step
// replacing limits of the same name or adding new ones. An override's tier replaces the
// selector's (the key's over the tenant's).

export interface OverrideSpec {
  readonly tier?: Tier;
  readonly limits: readonly LimitSpec[];
  readonly maxConcurrent?: number;
  /** Epoch ms after which the override no longer applies. */
  readonly expireAtMs?: number;
}

export interface LimitInputs {
  readonly tier?: Tier;
  readonly limitSet?: readonly LimitSpec[];
  readonly inline: readonly LimitSpec[];
  readonly tenantOverride?: OverrideSpec;
  readonly keyOverride?: OverrideSpec;
  readonly nowMs: number;
}

export function isLive(override: OverrideSpec | undefined, nowMs: number): override is OverrideSpec {
  return override !== undefined && (override.expireAtMs === undefined || override.expireAtMs > nowMs);
}

/** The effective limits in a stable order (first appearance); empty when nothing applies. */
export function resolveLimits(inputs: LimitInputs): LimitSpec[] {
  const tenant = isLive(inputs.tenantOverride, inputs.nowMs) ? inputs.tenantOverride : undefined;
  const key = isLive(inputs.keyOverride, inputs.nowMs) ? inputs.keyOverride : undefined;
  const tier = key?.tier ?? tenant?.tier ?? inputs.tier;
  const byName = new Map<string, LimitSpec>();
  const layers = [tier !== undefined ? TIER_LIMITS[tier] : [], inputs.limitSet ?? [], inputs.inline, tenant?.limits ?? [], key?.limits ?? []];
  for (const layer of layers) for (const limit of layer) byName.set(limit.name, limit);
  return [...byName.values()];
}

/** AcquireLease's slot count: the key's override, else the tenant's, else the request's (0 = none). */
export function resolveMaxConcurrent(requested: number, tenantOverride: OverrideSpec | undefined, keyOverride: OverrideSpec | undefined, nowMs: number): number | undefined {
  const key = isLive(keyOverride, nowMs) ? keyOverride.maxConcurrent : undefined;
  const tenant = isLive(tenantOverride, nowMs) ? tenantOverride.maxConcurrent : undefined;
  const value = key ?? tenant ?? requested;
  return value > 0 ? value : undefined;
}
