import type { MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import type { ResourceLimits } from '@aegis/proto/aegis/policy/v1/role_pb.js';
import type { LimitSchema, RateLimitHeaders } from '@aegis/proto/aegis/ratelimit/v1/limit_pb.js';
import type { RatelimitClients } from '../clients.js';
import type { HeldLease } from '../ratelimit/idle-leases.js';
import type { LimitSelectorInit } from '../ratelimit/rate-allowances.js';
import { msOf, type CallOptions } from './call-options.js';
import type { AdmissionHeadroom, Bucket } from './admission-headroom.js';
import { RateLimitedError, atStep } from './errors.js';

/** Which limits a guarded request is checked against, and what it costs. */
export interface RateLimitRule {
  /**
   * The plan tier whose limits apply: `principal` (default) takes the credential's tier, or
   * `fallbackTier` when it has none (e.g. access tokens); `none` leaves only `limitSet`/`limits`.
   */
  tier?: 'principal' | 'none' | RateLimitTier;
  /** Tier for principals without one (default FREE: the strictest). */
  fallbackTier?: RateLimitTier;
  /** A limit set of the tenant (LimitConfigService), e.g. an `llm_tokens` set. */
  limitSet?: string;
  /** Limits given inline. */
  limits?: MessageInitShape<typeof LimitSchema>[];
  /**
   * What one request takes from every selected bucket: `request` (1, the default), or
   * `estimated_tokens` (prompt + expected completion) for token-weighted limits, or a function.
   * One Check applies one cost to all selected limits, so do not mix per-request tier limits
   * with token-weighted ones in one rule.
   */
  cost?: 'request' | 'estimated_tokens' | ((e: { estimatedTokens: bigint; principal: Principal }) => bigint | number);
  /** The bucket key (default principal.id: the API key id, or the user id for tokens). */
  key?: (principal: Principal) => string;
}

function costOf(rule: RateLimitRule, estimatedTokens: bigint, principal: Principal): bigint {
  const cost = rule.cost ?? 'request';
  if (cost === 'request') return 1n;
  if (cost === 'estimated_tokens') return estimatedTokens > 0n ? estimatedTokens : 1n;
  return BigInt(cost({ estimatedTokens, principal }));
}

function tierOf(rule: RateLimitRule, principal: Principal): RateLimitTier {
  const tier = rule.tier ?? 'principal';
  if (tier === 'none') return RateLimitTier.UNSPECIFIED;
  if (tier !== 'principal') return tier;
  return principal.tier !== RateLimitTier.UNSPECIFIED ? principal.tier : (rule.fallbackTier ?? RateLimitTier.FREE);
}

/** The bucket `rule` takes a request of `principal` from, and how much. */
export function bucketOf(rule: RateLimitRule, principal: Principal, estimatedTokens: bigint): Bucket {
  return { tenantId: principal.tenantId, key: rule.key?.(principal) ?? principal.id, cost: costOf(rule, estimatedTokens, principal) };
}

function selectorOf(rule: RateLimitRule, principal: Principal): LimitSelectorInit {
  return { tier: tierOf(rule, principal), limitSet: rule.limitSet ?? '', limits: rule.limits ?? [] };
}

/**
 * The plan's `rate_limit`, cost-weighted: RateLimitService.Check takes the cost from every
 * selected limit or from none. A denial is RateLimitedError with the longest retry time.
 * Check is never retried (a repeat would take the cost twice). `headroom` learns each answer.
 * With rate-limit allowances (`ratelimit.allowances`), a request the bucket's allowance covers
 * is admitted from it without a round trip; any other goes to the limiter as before.
 */
export async function admit(ratelimit: RatelimitClients, rule: RateLimitRule, principal: Principal, bucket: Bucket, call: CallOptions, headroom?: AdmissionHeadroom): Promise<RateLimitHeaders | undefined> {
  const selector = selectorOf(rule, principal);
  const allowances = ratelimit.allowances;
  const held = allowances?.bucketOf(bucket.tenantId, bucket.key, selector);
  if (held !== undefined) {
    const local = allowances!.take(held, bucket.cost);
    if (local !== undefined) return local;
  }
  const res = await atStep('rate_limit', () => ratelimit.limits.check({ tenantId: bucket.tenantId, key: bucket.key, cost: bucket.cost, selector }, call));
  headroom?.observe(bucket, res);
  if (held !== undefined) allowances!.observe(held, bucket.cost, res);
  if (!res.allowed) {
    const covered = held !== undefined ? await allowances!.afterRefusal(held, bucket.cost) : undefined;
    if (covered !== undefined) return covered;
    const retryAfterMs = res.retryAfter === undefined ? 1000 : msOf(res.retryAfter);
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    throw new RateLimitedError('rate_limit', `rate limit exceeded: retry after ${seconds} s`, retryAfterMs, res.headers);
  }
  return res.headers;
}

/** A held concurrency slot; `release` is idempotent and never throws. */
export interface ExecutionSlot {
  release(): Promise<void>;
}

const NO_SLOT: ExecutionSlot = { release: async () => {} };
const DEFAULT_LEASE_TTL_MS = 5 * 60_000;

/**
 * The role's max_concurrent_executions, enforced with a ratelimit lease per user. The lease
 * outlives the run by its TTL at most if the process dies, so a crash cannot hold a slot forever.
 * With slot reuse (`ratelimit.allowances.slots`) a freed lease waits a moment for the user's next
 * run, which takes it over without a round trip; it is acquired with a little more life for that.
 */
export async function acquireSlot(ratelimit: RatelimitClients, limits: ResourceLimits | undefined, principal: Principal, requestId: string, call: CallOptions): Promise<ExecutionSlot> {
  const max = limits?.maxConcurrentExecutions;
  if (max === undefined) return NO_SLOT;
  const key = `executions:${principal.userId || principal.id}`;
  const runTtlMs = limits?.maxExecutionTime !== undefined ? Math.min(3_600_000, Math.max(1000, msOf(limits.maxExecutionTime) + 30_000)) : DEFAULT_LEASE_TTL_MS;
  const slots = ratelimit.allowances?.slots;
  const idle = slots?.take(principal.tenantId, key, max, runTtlMs);
  if (idle !== undefined) return slotOf(ratelimit, idle, runTtlMs);
  const ttlMs = slots?.ttlFor(runTtlMs) ?? runTtlMs;
  const sentAt = slots?.now() ?? 0;
  const res = await atStep('concurrency', () => ratelimit.leases.acquireLease({
    tenantId: principal.tenantId, key, maxConcurrent: max, ttl: durationFromMs(ttlMs), holder: requestId,
  }, call));
  if (!res.acquired || res.lease === undefined) {
    const retryAfterMs = res.retryAfter === undefined ? 1000 : msOf(res.retryAfter);
    throw new RateLimitedError('concurrency', `too many executions at once (at most ${res.maxConcurrent}): retry when one finishes`, retryAfterMs);
  }
  return slotOf(ratelimit, { tenantId: principal.tenantId, key, maxConcurrent: max, leaseId: res.lease.leaseId, expiresAt: sentAt + ttlMs }, runTtlMs);
}

function slotOf(ratelimit: RatelimitClients, lease: HeldLease, runTtlMs: number): ExecutionSlot {
  const slots = ratelimit.allowances?.slots;
  let releasing: Promise<void> | undefined;
  return {
    // Every caller waits for the one release (best effort: an unreleased lease frees itself at its TTL).
    release: () => (releasing ??= slots !== undefined
      ? slots.put(lease, runTtlMs)
      : ratelimit.leases.releaseLease({ tenantId: lease.tenantId, key: lease.key, leaseId: lease.leaseId }).then(() => {}, () => {})),
  };
}
