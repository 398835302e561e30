import type { MessageInitShape } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import type { SettleUsageRequest, SettleUsageResponseSchema } from '@aegis/proto/aegis/billing/v1/reservation_service_pb.js';
import { activeTraceCarrier, alreadyExists, failedPrecondition, invalidArgument, notFound, requireNonEmpty, requirePrincipal } from '@aegis/shared';
import { actorOf } from '../audit.js';
import { money, requireTokens } from '../money/proto-mapping.js';
import { dateOr } from '../prices/price-mapping.js';
import { tenantOf } from '../request-context.js';
import type { ReservationHandlerDeps } from './reservation-handlers.js';
import { reservationToProto } from './reservation-mapping.js';
import type { SettlingUsage } from './reservation-store.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Usages per call at most: one transaction holds the shared hold's row lock while it books them. */
export const MAX_SETTLED_USAGES = 500;

/**
 * SettleUsage: prices each usage (price cache, at its occur time) and books the batch against
 * the shared hold in one settle_usage call; see the RPC's contract and migrations/0005. The
 * answer says whether the tenant's budgets changed since the hold was reserved
 * (budgets_changed), so the SDK stops carving from holds checked against old budgets.
 */
export async function settleUsage(deps: ReservationHandlerDeps, req: SettleUsageRequest, ctx: HandlerContext): Promise<MessageInitShape<typeof SettleUsageResponseSchema>> {
  const tenantId = tenantOf(req.tenantId, ctx);
  const reservationId = requireNonEmpty(req.reservationId, 'reservation_id');
  if (req.usages.length === 0) throw invalidArgument('usages', 'must hold at least one usage');
  if (req.usages.length > MAX_SETTLED_USAGES) throw invalidArgument('usages', `must hold at most ${MAX_SETTLED_USAGES} usages; send the rest in another call`);
  const actor = actorOf(requirePrincipal(ctx));
  const trace = activeTraceCarrier();
  const now = new Date(deps.now());
  const usages: SettlingUsage[] = [];
  for (const [i, u] of req.usages.entries()) {
    if (!UUID.test(u.eventId)) throw invalidArgument(`usages[${i}].event_id`, 'must be a UUID chosen by the caller and reused on retry');
    const tokens = requireTokens(u.tokens);
    const provider = requireNonEmpty(u.provider, `usages[${i}].provider`).toLowerCase();
    const model = requireNonEmpty(u.model, `usages[${i}].model`);
    const occurTime = dateOr(u.occurTime, now);
    const { cost, price } = await deps.pricer.cost(tenantId, provider, model, tokens, occurTime);
    if (price.currency !== deps.currency) throw failedPrecondition(`the price of ${provider}/${model} is in ${price.currency}; budgets are in ${deps.currency}`);
    usages.push({
      eventId: u.eventId.toLowerCase(), requestId: u.requestId, nanos: cost, provider, model, tokens, occurTime, estimated: u.estimated,
      agentId: u.agentId, actor, trace,
    });
  }
  const result = await deps.store.settle(tenantId, reservationId, usages, now);
  switch (result.outcome) {
    case 'missing': throw notFound('reservation', reservationId);
    case 'not_shared': throw failedPrecondition(`reservation ${reservationId} is not a shared hold: settle it with CommitReservation`);
    case 'conflict': throw alreadyExists('usage event', result.eventId);
  }
  deps.usageOutbox.kick();
  deps.book.invalidate(tenantId);
  return {
    reservation: reservationToProto(result.hold, deps.currency),
    costs: result.costs.map((c) => ({ eventId: c.eventId, cost: money(deps.currency, c.nanos) })),
    budgetsChanged: result.budgetsChanged,
  };
}
