import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ConnectRouter, HandlerContext } from '@connectrpc/connect';
import { ReservationService, type EstimatedUsage } from '@aegis/proto/aegis/billing/v1/reservation_service_pb.js';
import { cappedTokens } from '@aegis/pricing';
import { activeTraceCarrier, failedPrecondition, invalidArgument, notFound, requireNonEmpty, requirePrincipal, type EventPublisher, type Logger } from '@aegis/shared';
import { actorOf, budgetExceededEvent } from '../audit.js';
import type { BudgetBook } from '../budgets/budget-book.js';
import { statusToProto } from '../budgets/budget-mapping.js';
import { money, requireMoney, requireTokens } from '../money/proto-mapping.js';
import type { PriceRow } from '../prices/price.js';
import { dateOr, priceToProto } from '../prices/price-mapping.js';
import type { Pricer } from '../prices/pricer.js';
import { tenantOf } from '../request-context.js';
import { reservationToProto } from './reservation-mapping.js';
import type { ReservationStore, ReserveResult } from './reservation-store.js';
import { settleUsage } from './settle-usage.js';

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

const DEFAULT_TTL_MS = 5 * 60_000;

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

/**
 * ReserveBudget's `estimated_usage`: the expected tokens priced with the model's price in force
 * now (from the price cache), so the caller needs no EstimateCost round trip first. Estimated
 * tokens default to the usage's prompt plus completion.
 */
async function pricedEstimate(deps: ReservationHandlerDeps, tenantId: string, costGiven: boolean, usage: EstimatedUsage, estimatedTokens: bigint): Promise<{ nanos: bigint; tokens: bigint; price: PriceRow; priceValidUntil: Date | undefined }> {
  if (costGiven) throw invalidArgument('estimated_cost', 'give estimated_cost or estimated_usage, not both');
  const provider = requireNonEmpty(usage.provider, 'estimated_usage.provider').toLowerCase();
  const model = requireNonEmpty(usage.model, 'estimated_usage.model');
  if (usage.tokens === undefined) throw invalidArgument('estimated_usage.tokens', 'is required');
  const tokens = requireTokens(usage.tokens);
  const { cost, price, validUntil } = await deps.pricer.quote(tenantId, provider, model, tokens, new Date(deps.now()));
  if (price.currency !== deps.currency) throw failedPrecondition(`the price of ${provider}/${model} is in ${price.currency}; budgets are in ${deps.currency}`);
  return { nanos: cost, tokens: estimatedTokens > 0n ? estimatedTokens : cappedTokens(tokens), price, priceValidUntil: validUntil };
}

export function registerReservationService(router: ConnectRouter, deps: ReservationHandlerDeps): void {
  router.service(ReservationService, {
    async reserveBudget(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const requestId = requireNonEmpty(req.requestId, 'request_id');
      if (req.estimatedTokens < 0n) throw invalidArgument('estimated_tokens', 'must not be negative');
      if (req.shared && req.estimatedUsage === undefined) throw invalidArgument('estimated_usage', 'is required for a shared hold (shared = true)');
      const estimate = req.estimatedUsage === undefined
        ? { nanos: requireMoney('estimated_cost', req.estimatedCost, deps.currency, { allowUnset: true }) ?? 0n, tokens: req.estimatedTokens }
        : await pricedEstimate(deps, tenantId, req.estimatedCost !== undefined, req.estimatedUsage, req.estimatedTokens);
      const nanos = estimate.nanos;
      let ttlMs = DEFAULT_TTL_MS;
      if (req.ttl !== undefined) {
        ttlMs = Number(req.ttl.seconds) * 1000 + Math.floor(req.ttl.nanos / 1e6);
        if (ttlMs < 1000 || ttlMs > 3_600_000) throw invalidArgument('ttl', 'must be between 1 s and 1 h');
      }
      const input = { tenantId, userId: req.userId, apiKeyId: req.apiKeyId, requestId, estimate: { nanos: estimate.nanos, tokens: estimate.tokens }, ttlMs, shared: req.shared };
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
      const quote = 'price' in estimate
        ? { price: priceToProto(estimate.price), ...(estimate.priceValidUntil !== undefined ? { priceValidUntil: timestampFromDate(estimate.priceValidUntil) } : {}) }
        : {};
      if (!result.allowed) {
        await deps.publisher.publish(budgetExceededEvent(tenantId, actorOf(requirePrincipal(ctx)), result.blockingBudgetId, requestId, nanos, estimate.tokens))
          .catch((err: unknown) => deps.logger.warn({ err }, 'budget.exceeded audit event not published'));
        return { allowed: false, blockingBudgetId: result.blockingBudgetId, statuses, estimatedCost: money(deps.currency, nanos), ...quote };
      }
      if (result.existing && result.reservation.shared !== req.shared) {
        throw failedPrecondition(`request id ${requestId} already names a ${result.reservation.shared ? 'shared' : 'per-request'} reservation: use a new request id`);
      }
      return { allowed: true, reservation: reservationToProto(result.reservation, deps.currency), statuses, estimatedCost: money(deps.currency, nanos), ...quote };
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
      if (reservation.shared) throw failedPrecondition(`reservation ${reservationId} is a shared hold: settle its usage with SettleUsage`);
      if (reservation.state === 'released') throw failedPrecondition(`reservation ${reservationId} was released; record the usage with RecordUsage`);
      deps.usageOutbox.kick();
      deps.book.invalidate(tenantId);
      return { reservation: reservationToProto(reservation, deps.currency), cost: money(price.currency, reservation.committedNanos), usageEventId: reservation.usageEventId };
    },

    settleUsage: (req, ctx) => settleUsage(deps, req, ctx),

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
