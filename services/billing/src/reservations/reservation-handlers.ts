import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ConnectRouter, HandlerContext } from '@connectrpc/connect';
import { ReservationSchema, ReservationStatus, type Reservation } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import { ReservationService } from '@aegis/proto/aegis/billing/v1/reservation_service_pb.js';
import { failedPrecondition, invalidArgument, notFound, requireNonEmpty, requirePrincipal, unavailable, type EventPublisher, type Logger } from '@aegis/shared';
import { actorOf, budgetExceededEvent } from '../audit.js';
import type { BudgetBook } from '../budgets/budget-book.js';
import { statusToProto } from '../budgets/budget-mapping.js';
import { cappedTokens } from '../money/cost.js';
import { money, requireMoney, requireTokens } from '../money/proto-mapping.js';
import { dateOr } from '../prices/price-mapping.js';
import type { Pricer } from '../prices/pricer.js';
import { tenantOf } from '../request-context.js';
import { usageEvent } from '../usage/usage-entry.js';
import type { ReservationRow } from './reservation.js';
import type { ReservationStore, ReserveResult } from './reservation-store.js';

export interface ReservationHandlerDeps {
  store: ReservationStore;
  book: BudgetBook;
  pricer: Pricer;
  publisher: EventPublisher;
  currency: string;
  logger: Logger;
  now: () => number;
}

const STATUS: Record<ReservationRow['state'], ReservationStatus> = {
  held: ReservationStatus.HELD, committed: ReservationStatus.COMMITTED, released: ReservationStatus.RELEASED, expired: ReservationStatus.EXPIRED,
};
const DEFAULT_TTL_MS = 5 * 60_000;

function reservationToProto(r: ReservationRow, currency: string): Reservation {
  return create(ReservationSchema, {
    tenantId: r.tenantId, reservationId: r.reservationId, userId: r.userId, apiKeyId: r.apiKeyId, requestId: r.requestId,
    amount: money(currency, r.amountNanos), tokens: r.tokens, budgetIds: r.holds.map((h) => h.budgetId), status: STATUS[r.state],
    createTime: timestampFromDate(r.createTime), expireTime: timestampFromDate(r.expireTime),
    ...(r.settleTime !== undefined ? { settleTime: timestampFromDate(r.settleTime) } : {}),
    ...(r.state === 'committed' ? { committedAmount: money(currency, r.committedNanos), committedTokens: r.committedTokens, usageEventId: r.usageEventId } : {}),
  });
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

export function registerReservationService(router: ConnectRouter, deps: ReservationHandlerDeps): void {
  router.service(ReservationService, {
    async reserveBudget(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const requestId = requireNonEmpty(req.requestId, 'request_id');
      const nanos = requireMoney('estimated_cost', req.estimatedCost, deps.currency, { allowUnset: true }) ?? 0n;
      if (req.estimatedTokens < 0n) throw invalidArgument('estimated_tokens', 'must not be negative');
      let ttlMs = DEFAULT_TTL_MS;
      if (req.ttl !== undefined) {
        ttlMs = Number(req.ttl.seconds) * 1000 + Math.floor(req.ttl.nanos / 1e6);
        if (ttlMs < 1000 || ttlMs > 3_600_000) throw invalidArgument('ttl', 'must be between 1 s and 1 h');
      }
      const input = { tenantId, userId: req.userId, apiKeyId: req.apiKeyId, requestId, estimate: { nanos, tokens: req.estimatedTokens }, ttlMs };
      let result: ReserveResult;
      try {
        result = await deps.store.reserve(input, new Date(deps.now()));
      } catch (err) {
        // The same request id reserved concurrently: the other call won; answer with its reservation.
        if (!isUniqueViolation(err)) throw err;
        result = await deps.store.reserve(input, new Date(deps.now()));
      }
      deps.book.invalidate(tenantId);
      const statuses = result.states.map((s) => statusToProto(s.budget, s.period, s.counters));
      if (!result.allowed) {
        await deps.publisher.publish(budgetExceededEvent(tenantId, actorOf(requirePrincipal(ctx)), result.blockingBudgetId, requestId, nanos, req.estimatedTokens))
          .catch((err: unknown) => deps.logger.warn({ err }, 'budget.exceeded audit event not published'));
        return { allowed: false, blockingBudgetId: result.blockingBudgetId, statuses };
      }
      return { allowed: true, reservation: reservationToProto(result.reservation, deps.currency), statuses };
    },

    async commitReservation(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const reservationId = requireNonEmpty(req.reservationId, 'reservation_id');
      const tokens = requireTokens(req.tokens);
      const provider = requireNonEmpty(req.provider, 'provider').toLowerCase();
      const model = requireNonEmpty(req.model, 'model');
      const current = await deps.store.get(tenantId, reservationId);
      if (current === undefined) throw notFound('reservation', reservationId);
      if (current.state === 'released') throw failedPrecondition(`reservation ${reservationId} was released; record the usage with RecordUsage`);
      if (current.state === 'committed') {
        return { reservation: reservationToProto(current, deps.currency), cost: money(deps.currency, current.committedNanos), usageEventId: current.usageEventId };
      }
      const occurTime = dateOr(req.occurTime, new Date(deps.now()));
      const { cost, price } = await deps.pricer.cost(tenantId, provider, model, tokens, occurTime);
      // The event id was fixed at reservation time, so a retried commit publishes the same event
      // and the ledger books it once. Published first: if the event log is down nothing changes.
      const principal = requirePrincipal(ctx);
      const event = usageEvent({
        eventId: current.usageEventId, tenantId, userId: current.userId, apiKeyId: current.apiKeyId, provider, model, tokens,
        requestId: current.requestId, occurTime, estimated: req.estimated, reservationId, agentId: req.agentId,
      }, actorOf(principal));
      try {
        await deps.publisher.publish(event);
      } catch (cause) {
        throw unavailable('the usage event log is not reachable; the reservation is unchanged, retry the commit', { cause });
      }
      const settled = await deps.store.commit(tenantId, reservationId, { nanos: cost, tokens: cappedTokens(tokens) }, new Date(deps.now()));
      deps.book.invalidate(tenantId);
      const reservation = settled ?? current;
      return { reservation: reservationToProto(reservation, deps.currency), cost: money(price.currency, reservation.state === 'committed' ? reservation.committedNanos : cost), usageEventId: current.usageEventId };
    },

    async releaseReservation(req, ctx: HandlerContext) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const reservationId = requireNonEmpty(req.reservationId, 'reservation_id');
      const released = await deps.store.release(tenantId, reservationId, new Date(deps.now()), 'released');
      if (released === undefined) throw notFound('reservation', reservationId);
      if (released.state === 'committed') throw failedPrecondition(`reservation ${reservationId} is already committed`);
      deps.book.invalidate(tenantId);
      return { reservation: reservationToProto(released, deps.currency) };
    },
  });
}
