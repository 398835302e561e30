import type { LimitSelector } from '@aegis/proto/aegis/ratelimit/v1/limit_pb.js';
import { failedPrecondition, invalidArgument, notFound } from '@aegis/shared';
import { resolveLimits, type LimitSpec } from '../domain/index.js';
import type { LimitConfigCache } from '../limit-config/limit-config-cache.js';
import { limitsFromProto, tierFromProto } from '../mapping/limits.js';
import type { BucketOwner } from '../ports.js';

const MAX_KEY_BYTES = 256;

export function requireKey(key: string, field = 'key'): string {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes < 1 || bytes > MAX_KEY_BYTES) throw invalidArgument(field, `must be 1-${MAX_KEY_BYTES} bytes`);
  return key;
}

/** The limits that apply to `owner` (limit.proto, LimitSelector), from memory: no I/O. */
export function effectiveLimits(config: LimitConfigCache, owner: BucketOwner, selector: LimitSelector | undefined, nowMs: number): LimitSpec[] {
  const tier = selector === undefined ? undefined : tierFromProto(selector.tier, 'selector.tier');
  const inline = selector === undefined ? [] : limitsFromProto(selector.limits, 'selector.limits');
  let limitSet: readonly LimitSpec[] | undefined;
  if (selector !== undefined && selector.limitSet !== '') {
    limitSet = config.limitSet(owner.tenantId, selector.limitSet);
    if (limitSet === undefined) throw notFound('limit set', selector.limitSet);
  }
  const overrides = config.overrides(owner.tenantId, owner.key);
  const limits = resolveLimits({
    ...(tier !== undefined ? { tier } : {}),
    ...(limitSet !== undefined ? { limitSet } : {}),
    inline,
    ...(overrides.tenant !== undefined ? { tenantOverride: overrides.tenant } : {}),
    ...(overrides.key !== undefined ? { keyOverride: overrides.key } : {}),
    nowMs,
  });
  if (limits.length === 0) throw failedPrecondition('no limits apply: give a tier, a limit set or limits, or configure an override for the key or tenant');
  return limits;
}

/** Cost 0 means 1; a cost above a limit's burst could never be admitted, so it is refused outright. */
export function requireCost(cost: bigint, limits: readonly LimitSpec[], opts: { zeroIsOne: boolean }): number {
  if (cost < 0n || (!opts.zeroIsOne && cost === 0n)) throw invalidArgument('cost', opts.zeroIsOne ? 'must not be negative' : 'must be at least 1');
  const value = cost === 0n ? 1 : cost > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(cost);
  const tooBig = limits.find((limit) => value > limit.burst);
  if (tooBig !== undefined) throw invalidArgument('cost', `exceeds the burst (${tooBig.burst}) of limit "${tooBig.name}": such a request could never be admitted`);
  return value;
}
