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
  promptTokens: bigint;
  completionTokens: bigint;
  totalTokens: bigint;
  cost: Money | undefined;
}

/**
 * The estimate to reserve: prompt tokens as given or counted by billing with the model's
 * tokenizer, completion tokens as expected, priced with EstimateCost (an unknown model is
 * NotFound, never a free run). Read-only, so it runs beside the decision.
 */
export async function estimate(billing: BillingClients, tenantId: string, model: { provider: string; model: string }, inputText: string, promptTokens: bigint | undefined, completionTokens: bigint, call: CallOptions): Promise<CostEstimate> {
  const prompt = promptTokens ?? (await atStep('estimate', () => billing.estimation.estimateTokens({ tenantId, provider: model.provider, model: model.model, text: inputText }, call))).tokens;
  const priced = await atStep('estimate', () => billing.estimation.estimateCost({
    tenantId, provider: model.provider, model: model.model, tokens: { promptTokens: prompt, completionTokens },
  }, call));
  return { promptTokens: prompt, completionTokens, totalTokens: prompt + completionTokens, cost: priced.cost };
}

/**
 * The plan's `check_budget` as a hold: ReserveBudget puts the estimate against every budget of
 * the tenant, user and key at once (idempotent per request id, so retried safely).
 */
export async function reserve(billing: BillingClients, principal: Principal, requestId: string, est: CostEstimate, ttlMs: number, call: CallOptions): Promise<Reservation> {
  const res = await atStep('reserve', () => billing.reservations.reserveBudget({
    tenantId: principal.tenantId,
    userId: principal.userId,
    apiKeyId: principal.apiKeyId,
    requestId,
    ...(est.cost !== undefined ? { estimatedCost: est.cost } : {}),
    estimatedTokens: est.totalTokens,
    ttl: durationFromMs(ttlMs),
  }, call));
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
  return res.reservation;
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
