import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ConnectRouter, HandlerContext } from '@connectrpc/connect';
import { ReservationSchema, ReservationStatus, type Reservation } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import { ReservationService, type EstimatedUsage } from '@aegis/proto/aegis/billing/v1/reservation_service_pb.js';
import { activeTraceCarrier, failedPrecondition, invalidArgument, notFound, requireNonEmpty, requirePrincipal, type EventPublisher, type Logger } from '@aegis/shared';
import { actorOf, budgetExceededEvent } from '../audit.js';
import type { BudgetBook } from '../budgets/budget-book.js';
import { statusToProto } from '../budgets/budget-mapping.js';
import { cappedTokens } from '../money/cost.js';
import { money, requireMoney, requireTokens } from '../money/proto-mapping.js';
import { dateOr } from '../prices/price-mapping.js';
import type { Pricer } from '../prices/pricer.js';
import { tenantOf } from '../request-context.js';
import type { ReservationRow } from './reservation.js';
import type { ReservationStore, ReserveResult } from './reservation-store.js';

export interface ReservationHandlerDeps {
  store: ReservationStore;
  book: BudgetBook;
  pricer: Pricer;
  publisher: EventPublisher;
  /** Publishes the usage events commits leave in usage_outbox; kicked after each commit. */
  usageOutbox: { kick(): void };
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

/**
 * ReserveBudget's `estimated_usage`: the expected tokens priced with the model's price in force
 * now (from the price cache), so the caller needs no EstimateCost round trip first. Estimated
 * tokens default to the usage's prompt plus completion.
 */
async function pricedEstimate(deps: ReservationHandlerDeps, tenantId: string, costGiven: boolean, usage: EstimatedUsage, estimatedTokens: bigint): Promise<{ nanos: bigint; tokens: bigint }> {
  if (costGiven) throw invalidArgument('estimated_cost', 'give estimated_cost or estimated_usage, not both');
  const provider = requireNonEmpty(usage.provider, 'estimated_usage.provider').toLowerCase();
  const model = requireNonEmpty(usage.model, 'estimated_usage.model');
  if (usage.tokens === undefined) throw invalidArgument('estimated_usage.tokens', 'is required');
  const tokens = requireTokens(usage.tokens);
  const { cost, price } = await deps.pricer.cost(tenantId, provider, model, tokens, new Date(deps.now()));
  if (price.currency !== deps.currency) throw failedPrecondition(`the price of ${provider}/${model} is in ${price.currency}; budgets are in ${deps.currency}`);
  return { nanos: cost, tokens: estimatedTokens > 0n ? estimatedTokens : cappedTokens(tokens) };
}

export function registerReservationService(router: ConnectRouter, deps: ReservationHandlerDeps): void {
  router.service(ReservationService, {
    async reserveBudget(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const requestId = requireNonEmpty(req.requestId, 'request_id');
      if (req.estimatedTokens < 0n) throw invalidArgument('estimated_tokens', 'must not be negative');
      const estimate = req.estimatedUsage === undefined
        ? { nanos: requireMoney('estimated_cost', req.estimatedCost, deps.currency, { allowUnset: true }) ?? 0n, tokens: req.estimatedTokens }
        : await pricedEstimate(deps, tenantId, req.estimatedCost !== undefined, req.estimatedUsage, req.estimatedTokens);
      const nanos = estimate.nanos;
      let ttlMs = DEFAULT_TTL_MS;
      if (req.ttl !== undefined) {
        ttlMs = Number(req.ttl.seconds) * 1000 + Math.floor(req.ttl.nanos / 1e6);
        if (ttlMs < 1000 || ttlMs > 3_600_000) throw invalidArgument('ttl', 'must be between 1 s and 1 h');
      }
      const input = { tenantId, userId: req.userId, apiKeyId: req.apiKeyId, requestId, estimate, ttlMs };
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
        await deps.publisher.publish(budgetExceededEvent(tenantId, actorOf(requirePrincipal(ctx)), result.blockingBudgetId, requestId, nanos, estimate.tokens))
          .catch((err: unknown) => deps.logger.warn({ err }, 'budget.exceeded audit event not published'));
        return { allowed: false, blockingBudgetId: result.blockingBudgetId, statuses, estimatedCost: money(deps.currency, nanos) };
      }
      return { allowed: true, reservation: reservationToProto(result.reservation, deps.currency), statuses, estimatedCost: money(deps.currency, nanos) };
    },

    async commitReservation(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const reservationId = requireNonEmpty(req.reservationId, 'reservation_id');
      const tokens = requireTokens(req.tokens);
      const provider = requireNonEmpty(req.provider, 'provider').toLowerCase();
      const model = requireNonEmpty(req.model, 'model');
      const occurTime = dateOr(req.occurTime, new Date(deps.now()));
      // Priced from the price cache before touching the reservation: an unknown model is NotFound.
      const { cost, price } = await deps.pricer.cost(tenantId, provider, model, tokens, occurTime);
      // One transaction settles the reservation and writes its UsageEvent to the outbox; the
      // event id was fixed at reservation time, so a retried commit changes nothing and the
      // ledger books the event once. The relay publishes it right after (usage-outbox.ts).
      const reservation = await deps.store.commit(tenantId, reservationId, { nanos: cost, tokens: cappedTokens(tokens) }, {
        provider, model, tokens, occurTime, estimated: req.estimated, agentId: req.agentId, actor: actorOf(requirePrincipal(ctx)), trace: activeTraceCarrier(),
      }, new Date(deps.now()));
      if (reservation === undefined) throw notFound('reservation', reservationId);
      if (reservation.state === 'released') throw failedPrecondition(`reservation ${reservationId} was released; record the usage with RecordUsage`);
      deps.usageOutbox.kick();
      deps.book.invalidate(tenantId);
      return { reservation: reservationToProto(reservation, deps.currency), cost: money(price.currency, reservation.committedNanos), usageEventId: reservation.usageEventId };
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
