import { create } from '@bufbuild/protobuf';
import { tokenProblem } from '@aegis/pricing';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { ReservationStatus, type BudgetStatus, type Reservation } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import type { CommitReservationResponse } from '@aegis/proto/aegis/billing/v1/reservation_service_pb.js';
import type { Money } from '@aegis/proto/aegis/common/v1/money_pb.js';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { TokenUsageSchema, type TokenUsage } from '@aegis/proto/aegis/common/v1/tokens_pb.js';
import type { Carve } from '../budget/allowance.js';
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

/** A hold on the budgets, the estimate billing priced for it, and every budget's status after it. */
export interface Hold {
  reservation: Reservation;
  estimatedCost: Money;
  statuses: BudgetStatus[];
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
  return { reservation: res.reservation, estimatedCost: res.estimatedCost, statuses: res.statuses };
}

/**
 * Where a request's estimate is held: carved from a budget allowance of its principal and
 * model (no round trip), or held on its own by ReserveBudget as before.
 */
export type BudgetHold =
  | { carve: Carve; reservation: Reservation; hold?: undefined }
  | { hold: Hold; reservation: Reservation; carve?: undefined };

/**
 * `reserve`, with budget allowances in front (docs/sdk.md, "Budget allowances"): a carve when an
 * allowance has room; otherwise today's per-request hold, whose statuses let the allowances
 * acquire a shared hold in the background. A per-request hold refused while this principal's
 * allowances still hold leftovers gives those back and asks once more, so a budget refuses
 * exactly what it would refuse without allowances.
 */
export async function holdBudget(billing: BillingClients, principal: Principal, requestId: string, est: CostEstimate, ttlMs: number, call: CallOptions): Promise<BudgetHold> {
  const allowances = billing.allowances;
  const model = { provider: est.provider, model: est.model };
  const tokens = { promptTokens: est.promptTokens, completionTokens: est.completionTokens };
  const carve = allowances?.carve(principal, model, tokens);
  if (carve !== undefined) return { carve, reservation: carve.allowance.reservation };
  let hold: Hold;
  try {
    hold = await reserve(billing, principal, requestId, est, ttlMs, call);
  } catch (err) {
    if (!(err instanceof BudgetExceededError) || allowances === undefined || !(await allowances.yieldLeftovers(principal))) throw err;
    hold = await reserve(billing, principal, requestId, est, ttlMs, call);
  }
  allowances?.observe(hold.reservation.reservationId, principal, model, tokens, hold.estimatedCost.amountNanos, hold.statuses);
  return { hold, reservation: hold.reservation };
}

/**
 * Token counts as billing takes them, or a TypeError: negative or fractional counts, and parts
 * larger than their wholes (cached + cache-write prompt tokens above prompt tokens, reasoning
 * above completion tokens), which billing would refuse on every attempt, so a usage carved from
 * an allowance could never be settled. Called on a run's reported usage before it counts as
 * real, so such a run is the run's error and its hold (or carve) is given back.
 */
export function tokenUsage(counts: TokenCounts): TokenUsage {
  const usage = create(TokenUsageSchema, {
    promptTokens: toBigInt(counts.promptTokens),
    completionTokens: toBigInt(counts.completionTokens),
    cachedPromptTokens: toBigInt(counts.cachedPromptTokens),
    cacheWriteTokens: toBigInt(counts.cacheWriteTokens),
    reasoningTokens: toBigInt(counts.reasoningTokens),
  });
  const problem = tokenProblem({
    prompt: usage.promptTokens, completion: usage.completionTokens, cachedPrompt: usage.cachedPromptTokens, cacheWrite: usage.cacheWriteTokens, reasoning: usage.reasoningTokens,
  });
  if (problem !== undefined) throw new TypeError(`invalid token counts (${problem.field}): ${problem.message}`);
  return usage;
}

/**
 * Settles the hold with the actual usage. Billing publishes the UsageEvent (id fixed at
 * reservation time) to aegis.usage.v1 before moving the hold to spend, and the ledger books
 * it once per event id, so a retried commit cannot book twice. RecordUsage is therefore not
 * called: it would book the same usage a second time.
 */
export async function commit(billing: BillingClients, reservation: Reservation, model: { provider: string; model: string }, tokens: TokenUsage, estimated: boolean, agentId: string, call: CallOptions): Promise<CommitReservationResponse> {
  // The run completed: a shared hold this request's hold started is kept for the next requests.
  billing.allowances?.committed(reservation.reservationId);
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

/**
 * Gives the hold back (run failed or a later step refused), and the shared hold it started in
 * the background if nothing was carved from it yet: a refused or failed request leaves nothing
 * held. Best effort: an unsettled hold expires at its TTL.
 */
export async function release(billing: BillingClients, reservation: Reservation): Promise<void> {
  await Promise.all([
    billing.reservations.releaseReservation({ tenantId: reservation.tenantId, reservationId: reservation.reservationId }).catch(() => {}),
    billing.allowances?.abandon(reservation.reservationId),
  ]);
}
