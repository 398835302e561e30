import type { MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import type { Duration } from '@bufbuild/protobuf/wkt';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import { FailureMode, type Limit, type LimitSchema, type LimitStatusSchema } from '@aegis/proto/aegis/ratelimit/v1/limit_pb.js';
import { invalidArgument } from '@aegis/shared';
import { duplicateNameViolations, limitViolations, type FailureBehaviour, type LimitOutcome, type LimitSpec, type LimitViolation, type Tier } from '../domain/index.js';

// Proto <-> domain for limits, tiers and statuses. Invalid input becomes InvalidArgument
// naming the field path (`selector.limits[2].window`).

const TIER_OF: Partial<Record<RateLimitTier, Tier>> = {
  [RateLimitTier.FREE]: 'free',
  [RateLimitTier.PRO]: 'pro',
  [RateLimitTier.ENTERPRISE]: 'enterprise',
};
const PROTO_TIER: Record<Tier, RateLimitTier> = { free: RateLimitTier.FREE, pro: RateLimitTier.PRO, enterprise: RateLimitTier.ENTERPRISE };
const FAILURE_OF: Record<FailureMode, FailureBehaviour> = {
  [FailureMode.UNSPECIFIED]: 'default',
  [FailureMode.FAIL_CLOSED]: 'fail_closed',
  [FailureMode.FAIL_OPEN]: 'fail_open',
};
const PROTO_FAILURE: Record<FailureBehaviour, FailureMode> = { default: FailureMode.UNSPECIFIED, fail_closed: FailureMode.FAIL_CLOSED, fail_open: FailureMode.FAIL_OPEN };

export function tierFromProto(tier: RateLimitTier, field: string): Tier | undefined {
  if (tier === RateLimitTier.UNSPECIFIED) return undefined;
  const known = TIER_OF[tier];
  if (known === undefined) throw invalidArgument(field, 'is not a known tier');
  return known;
}

export function tierToProto(tier: Tier | undefined): RateLimitTier {
  return tier === undefined ? RateLimitTier.UNSPECIFIED : PROTO_TIER[tier];
}

/** Whole seconds, or NaN when the duration is absent, negative or fractional. */
function wholeSeconds(window: Duration | undefined): number {
  if (window === undefined || window.nanos !== 0 || window.seconds < 0n) return Number.NaN;
  return Number(window.seconds);
}

function toNumber(value: bigint): number {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : Number.NaN;
}

function specOf(limit: Limit): LimitSpec {
  const quota = toNumber(limit.quota);
  return {
    name: limit.name,
    quota,
    windowSeconds: wholeSeconds(limit.window),
    burst: limit.burst === 0n ? quota : toNumber(limit.burst),
    failureMode: FAILURE_OF[limit.failureMode] ?? 'default',
  };
}

export function rejected(violations: readonly LimitViolation[]): never {
  const [first] = violations;
  throw invalidArgument(first!.field, first!.description);
}

/** Validated limits; InvalidArgument on the first bad field. */
export function limitsFromProto(limits: readonly Limit[], field: string, opts: { min?: number; max?: number } = {}): LimitSpec[] {
  const min = opts.min ?? 0;
  const max = opts.max ?? 16;
  if (limits.length < min || limits.length > max) throw invalidArgument(field, `must hold ${min}-${max} limits`);
  const specs = limits.map(specOf);
  const violations = specs.flatMap((spec, i) => limitViolations(spec, `${field}[${i}]`));
  violations.push(...duplicateNameViolations(specs, field));
  if (violations.length > 0) rejected(violations);
  return specs;
}

export function limitToProto(spec: LimitSpec): MessageInitShape<typeof LimitSchema> {
  return {
    name: spec.name,
    quota: BigInt(spec.quota),
    window: { seconds: BigInt(spec.windowSeconds), nanos: 0 },
    burst: BigInt(spec.burst),
    failureMode: PROTO_FAILURE[spec.failureMode],
  };
}

const durationFromMicros = (micros: number) => durationFromMs(Math.ceil(micros / 1000));

export function statusToProto(outcome: LimitOutcome): MessageInitShape<typeof LimitStatusSchema> {
  const { limit, reading, allowed } = outcome;
  return {
    name: limit.name,
    quota: BigInt(limit.quota),
    window: { seconds: BigInt(limit.windowSeconds), nanos: 0 },
    burst: BigInt(limit.burst),
    remaining: BigInt(reading.remaining),
    resetAfter: durationFromMicros(reading.resetAfterMicros),
    retryAfter: durationFromMicros(reading.retryAfterMicros),
    allowed,
  };
}
