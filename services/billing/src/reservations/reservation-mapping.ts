import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ReservationSchema, ReservationStatus, type Reservation } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import { money } from '../money/proto-mapping.js';
import type { ReservationRow } from './reservation.js';

const STATUS: Record<ReservationRow['state'], ReservationStatus> = {
  held: ReservationStatus.HELD, committed: ReservationStatus.COMMITTED, released: ReservationStatus.RELEASED, expired: ReservationStatus.EXPIRED,
};

export function reservationToProto(r: ReservationRow, currency: string): Reservation {
  return create(ReservationSchema, {
    tenantId: r.tenantId, reservationId: r.reservationId, userId: r.userId, apiKeyId: r.apiKeyId, requestId: r.requestId,
    amount: money(currency, r.amountNanos), tokens: r.tokens, budgetIds: r.holds.map((h) => h.budgetId), status: STATUS[r.state],
    createTime: timestampFromDate(r.createTime), expireTime: timestampFromDate(r.expireTime),
    ...(r.settleTime !== undefined ? { settleTime: timestampFromDate(r.settleTime) } : {}),
    ...(r.state === 'committed' ? { committedAmount: money(currency, r.committedNanos), committedTokens: r.committedTokens, usageEventId: r.usageEventId } : {}),
  });
}
