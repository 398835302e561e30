import type { StoredHold } from './hold-release.js';

export type ReservationState = 'held' | 'committed' | 'released' | 'expired';
export const STATE_CODE: Record<ReservationState, number> = { held: 1, committed: 2, released: 3, expired: 4 };
export const STATE_OF: Record<number, ReservationState> = { 1: 'held', 2: 'committed', 3: 'released', 4: 'expired' };

export interface ReservationRow {
  reservationId: string;
  tenantId: string;
  userId: string;
  apiKeyId: string;
  requestId: string;
  amountNanos: bigint;
  tokens: bigint;
  holdNanos: bigint;
  holdTokens: bigint;
  holds: StoredHold[];
  holdActive: boolean;
  state: ReservationState;
  createTime: Date;
  expireTime: Date;
  settleTime: Date | undefined;
  committedNanos: bigint;
  committedTokens: bigint;
  usageEventId: string;
  booked: boolean;
  /** A hold for several requests (a budget allowance), settled with SettleUsage; never committed. */
  shared: boolean;
}

export interface DbReservation {
  reservation_id: string; tenant_id: string; user_id: string; api_key_id: string; request_id: string; amount_nanos: string; tokens: string;
  hold_nanos: string; hold_tokens: string; holds: StoredHold[] | string; hold_active: boolean; status: number; create_time: Date | string;
  expire_time: Date | string; settle_time: Date | string | null; committed_amount_nanos: string; committed_tokens: string; usage_event_id: string; booked: boolean;
  shared: boolean;
}

export function reservationFromRow(r: DbReservation): ReservationRow {
  return {
    reservationId: r.reservation_id, tenantId: r.tenant_id, userId: r.user_id, apiKeyId: r.api_key_id, requestId: r.request_id,
    amountNanos: BigInt(r.amount_nanos), tokens: BigInt(r.tokens), holdNanos: BigInt(r.hold_nanos), holdTokens: BigInt(r.hold_tokens),
    holds: typeof r.holds === 'string' ? (JSON.parse(r.holds) as StoredHold[]) : r.holds, holdActive: r.hold_active, state: STATE_OF[r.status]!,
    createTime: new Date(r.create_time), expireTime: new Date(r.expire_time), settleTime: r.settle_time === null ? undefined : new Date(r.settle_time),
    committedNanos: BigInt(r.committed_amount_nanos), committedTokens: BigInt(r.committed_tokens), usageEventId: r.usage_event_id, booked: r.booked,
    shared: r.shared,
  };
}
