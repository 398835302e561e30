import type { SqlExecutor } from '@aegis/shared';

export interface HoldRelease {
  budgetId: string;
  periodStart: Date;
  nanos: bigint;
  tokens: bigint;
}

export interface StoredHold {
  budgetId: string;
  /** ISO time of the period start. */
  periodStart: string;
}

interface Settling {
  eventId: string;
  tenantId: string;
  reservationId: string;
  cost: bigint;
  tokens: { prompt: bigint; completion: bigint };
}

/** What releasing a reservation's active hold takes off each budget period. */
export function holdReleases(holds: readonly StoredHold[], nanos: bigint, tokens: bigint): HoldRelease[] {
  return holds.map((h) => ({ budgetId: h.budgetId, periodStart: new Date(h.periodStart), nanos, tokens }));
}

/**
 * Marks the reservations settled by newly booked usage as booked and ends their holds: from
 * here on the booked spend counts instead of the hold. Runs in the booking transaction, so a
 * hold is taken off exactly when its spend is added. Locks reservation rows in id order.
 */
export async function releaseHoldsOnBooking(tx: SqlExecutor, entries: readonly Settling[]): Promise<HoldRelease[]> {
  const settling = entries.filter((e) => /^[0-9a-f-]{36}$/i.test(e.reservationId)).sort((a, b) => (a.reservationId < b.reservationId ? -1 : 1));
  const releases: HoldRelease[] = [];
  for (const e of settling) {
    const result = await tx.query<{ was_active: boolean; holds: StoredHold[] | string; hold_nanos: string; hold_tokens: string }>(
      `WITH old AS (SELECT reservation_id, hold_active AS was_active FROM reservations WHERE reservation_id = $1 AND tenant_id = $2 FOR UPDATE)
       UPDATE reservations r SET booked = true, hold_active = false,
         status = CASE WHEN r.status IN (1, 4) THEN 2 ELSE r.status END,
         settle_time = COALESCE(r.settle_time, now()),
         committed_amount_nanos = CASE WHEN r.status IN (1, 4) THEN $3::bigint ELSE r.committed_amount_nanos END,
         committed_tokens = CASE WHEN r.status IN (1, 4) THEN $4::bigint ELSE r.committed_tokens END,
         usage_event_id = CASE WHEN r.status IN (1, 4) THEN $5 ELSE r.usage_event_id END
       FROM old WHERE r.reservation_id = old.reservation_id
       RETURNING old.was_active, r.holds, r.hold_nanos, r.hold_tokens`,
      [e.reservationId, e.tenantId, e.cost.toString(), (e.tokens.prompt + e.tokens.completion).toString(), e.eventId]);
    const row = result.rows[0];
    if (row === undefined || !row.was_active) continue;
    const holds = typeof row.holds === 'string' ? (JSON.parse(row.holds) as StoredHold[]) : row.holds;
    releases.push(...holdReleases(holds, BigInt(row.hold_nanos), BigInt(row.hold_tokens)));
  }
  return releases;
}
