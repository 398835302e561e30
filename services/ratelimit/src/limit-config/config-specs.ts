import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { LimitOverride, LimitSet } from '@aegis/proto/aegis/ratelimit/v1/limit_config_pb.js';
import type { LimitSpec, OverrideSpec } from '../domain/index.js';
import { limitsFromProto, tierFromProto } from '../mapping/limits.js';

// Stored documents as the domain uses them. Both were validated on write; these throw
// InvalidArgument for bad input, which is how the write handlers validate.

export function limitSetSpec(set: LimitSet, field = 'limit_set'): readonly LimitSpec[] {
  return Object.freeze(limitsFromProto(set.limits, `${field}.limits`, { min: 1, max: 16 }));
}

export function overrideSpec(override: LimitOverride, field = 'override'): OverrideSpec {
  const tier = tierFromProto(override.tier, `${field}.tier`);
  return Object.freeze({
    ...(tier !== undefined ? { tier } : {}),
    limits: Object.freeze(limitsFromProto(override.limits, `${field}.limits`, { min: 0, max: 16 })),
    ...(override.maxConcurrent !== undefined ? { maxConcurrent: Number(override.maxConcurrent) } : {}),
    ...(override.expireTime !== undefined ? { expireAtMs: timestampMs(override.expireTime) } : {}),
  });
}
