import { create } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { ReservationStatus, type Reservation } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import type { CommitReservationResponse } from '@aegis/proto/aegis/billing/v1/reservation_service_pb.js';
import type { Money } from '@aegis/proto/aegis/common/v1/money_pb.js';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { TokenUsageSchema, type TokenUsage } from '@aegis/proto/aegis/common/v1/tokens_pb.js';
import type { BillingClients } from '../clients.js';
import { toBigInt, type CallOptions } from './call-options.js';
import { BudgetExceededError, GuardServiceError, atStep } from './errors.js';
import type { TokenCounts } from './types.js';

export interface CostEstimate {
  provider: string;
  model: string;
  promptTokens: bigint;
  completionTokens: bigint;
  totalTokens: bigint;
}

/**
 * The expected usage to reserve: prompt tokens as given or counted by billing with the model's
 * tokenizer (EstimateTokens, read-only, so it runs beside the decision), completion tokens as
 * expected. Billing prices it when reserving (ReserveBudget's estimated_usage), so no
 * EstimateCost round trip is needed.
 */
export async function estimate(billing: BillingClients, tenantId: string, model: { provider: string; model: string }, inputText: string, promptTokens: bigint | undefined, completionTokens: bigint, call: CallOptions): Promise<CostEstimate> {
  const prompt = promptTokens ?? (await atStep('estimate', () => billing.estimation.estimateTokens({ tenantId, provider: model.provider, model: model.model, text: inputText }, call))).tokens;
  return { provider: model.provider, model: model.model, promptTokens: prompt, completionTokens, totalTokens: prompt + completionTokens };
}

/** A hold on the budgets, and the estimate billing priced for it. */
export interface Hold {
  reservation: Reservation;
  estimatedCost: Money;
}

/**
 * The plan's `check_budget` as a hold: ReserveBudget prices the expected usage and puts it
 * against every budget of the tenant, user and key at once (idempotent per request id, so
 * retried safely). An unknown model is the estimate's NotFound, as from EstimateCost.
 */
export async function reserve(billing: BillingClients, principal: Principal, requestId: string, est: CostEstimate, ttlMs: number, call: CallOptions): Promise<Hold> {
  const res = await billing.reservations.reserveBudget({
    tenantId: principal.tenantId,
    userId: principal.userId,
    apiKeyId: principal.apiKeyId,
    requestId,
    estimatedUsage: { provider: est.provider, model: est.model, tokens: { promptTokens: est.promptTokens, completionTokens: est.completionTokens } },
    estimatedTokens: est.totalTokens,
    ttl: durationFromMs(ttlMs),
  }, call).catch((err: unknown) => {
    const connectError = ConnectError.from(err);
    throw new GuardServiceError(connectError.code === Code.NotFound ? 'estimate' : 'reserve', connectError);
  });
  // A billing older than estimated_usage ignores it and holds nothing: refuse to run unbudgeted.
  if (res.estimatedCost === undefined) {
    if (res.reservation !== undefined) await release(billing, res.reservation);
    throw new GuardServiceError('reserve', new ConnectError('billing did not price the estimate (estimated_usage): billing is older than this SDK', Code.FailedPrecondition));
  }
  if (!res.allowed || res.reservation === undefined) {
    const blocking = res.statuses.find((s) => s.budgetId === res.blockingBudgetId);
    const name = blocking?.name ? `"${blocking.name}"` : res.blockingBudgetId;
    throw new BudgetExceededError(`budget ${name} cannot cover this request`, res.blockingBudgetId, res.statuses);
  }
  // ReserveBudget answers a repeated request id with the first reservation. If that one is
  // already settled, running now would go unbilled (its commit returns the old booking).
  if (res.reservation.status !== ReservationStatus.HELD) {
    throw new GuardServiceError('reserve', new ConnectError(`request id ${requestId} was already used by a settled run: use a new request id`, Code.AlreadyExists));
  }
  return { reservation: res.reservation, estimatedCost: res.estimatedCost };
}

export function tokenUsage(counts: TokenCounts): TokenUsage {
  return create(TokenUsageSchema, {
    promptTokens: toBigInt(counts.promptTokens),
    completionTokens: toBigInt(counts.completionTokens),
    cachedPromptTokens: toBigInt(counts.cachedPromptTokens),
    cacheWriteTokens: toBigInt(counts.cacheWriteTokens),
    reasoningTokens: toBigInt(counts.reasoningTokens),
  });
}

/**
 * Settles the hold with the actual usage. Billing publishes the UsageEvent (id fixed at
 * reservation time) to aegis.usage.v1 before moving the hold to spend, and the ledger books
 * it once per event id, so a retried commit cannot book twice. RecordUsage is therefore not
 * called: it would book the same usage a second time.
 */
export async function commit(billing: BillingClients, reservation: Reservation, model: { provider: string; model: string }, tokens: TokenUsage, estimated: boolean, agentId: string, call: CallOptions): Promise<CommitReservationResponse> {
  return atStep('commit', () => billing.reservations.commitReservation({
    tenantId: reservation.tenantId,
    reservationId: reservation.reservationId,
    provider: model.provider,
    model: model.model,
    tokens,
    estimated,
    agentId,
  }, call));
}

/** Gives the hold back (run failed or a later step refused). Best effort: an unsettled hold expires at its TTL. */
export async function release(billing: BillingClients, reservation: Reservation): Promise<void> {
  await billing.reservations.releaseReservation({ tenantId: reservation.tenantId, reservationId: reservation.reservationId }).catch(() => {});
}
