import { BudgetEnforcement, type BudgetStatus } from '@aegis/proto/aegis/billing/v1/budget_pb.js';

export interface SizingLimits {
  /** Requests' estimates one shared hold covers at most. */
  maxRequests: number;
  /** Fewest requests worth a shared hold; below it the per-request path is kept. */
  minRequests: number;
  /** Share of the tightest hard budget's remaining room one hold may take (0-1). */
  roomShare: number;
}

/**
 * How many requests' estimates a shared hold should cover, or 0 for none. Sized to a small
 * share of the room the hard budgets have left (the statuses of the latest ReserveBudget, after
 * its hold), so a hold never takes much of a budget others also draw on; none when that share
 * is under `minRequests` estimates: a nearly spent budget then sees exactly today's
 * per-request holds, and refuses exactly as it does today. Soft budgets never refuse, so they
 * do not limit the size; without any hard budget the size is `maxRequests`.
 */
export function requestsPerHold(statuses: readonly BudgetStatus[], estimateNanos: bigint, estimateTokens: bigint, limits: SizingLimits): number {
  let requests = BigInt(limits.maxRequests);
  const share = (room: bigint, per: bigint): bigint => {
    if (per <= 0n) return requests;
    if (room <= 0n) return 0n;
    // share x room / per, in integers (the share in parts per million).
    return (room * BigInt(Math.round(limits.roomShare * 1_000_000))) / (1_000_000n * per);
  };
  for (const s of statuses) {
    if (s.enforcement === BudgetEnforcement.SOFT) continue;
    if (s.remaining !== undefined) requests = minOf(requests, share(s.remaining.amountNanos, estimateNanos));
    if (s.remainingTokens !== undefined) requests = minOf(requests, share(s.remainingTokens, estimateTokens));
  }
  return requests < BigInt(limits.minRequests) ? 0 : Number(requests);
}

function minOf(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
