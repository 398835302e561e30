import { randomUUID } from 'node:crypto';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { create } from '@bufbuild/protobuf';
import { MoneySchema } from '@aegis/proto/aegis/common/v1/money_pb.js';
import type { AuditEvent } from '@aegis/proto/aegis/events/v1/audit_event_pb.js';
import type { AegisClients } from '../clients.js';
import type { RateLimitHeaders } from '@aegis/proto/aegis/ratelimit/v1/limit_pb.js';
import { AdmissionHeadroom } from './admission-headroom.js';
import { acquireSlot, admit, bucketOf, type ExecutionSlot, type RateLimitRule } from './admission.js';
import { authenticate } from './authenticate.js';
import { authorize } from './authorize.js';
import { commit, estimate, holdBudget, release, tokenUsage, type BudgetHold } from './budget.js';
import { msOf, toBigInt, type CallOptions } from './call-options.js';
import { textOf } from './content.js';
import { scan } from './dlp.js';
import { GuardRefusal, PermissionDeniedError, atStep } from './errors.js';
import { executionRecord } from './execution-record.js';
import type { GuardRequest, GuardResult, GuardRunContext, RunResult, ScanSummary } from './types.js';

export interface GuardOptions {
  /** Completion tokens reserved when a request gives no maxOutputTokens (default 1024). */
  defaultCompletionTokens?: number;
  /** The rate limit rule (default: the credential's tier, cost 1 per request); false skips the step. */
  rateLimit?: RateLimitRule | false;
  /** Enforce the role's max_concurrent_executions with ratelimit leases (default true). */
  concurrency?: boolean;
  /** Lifetime of a budget hold that is never settled, e.g. the process died mid-run (default 5 min). */
  reservationTtlMs?: number;
  /**
   * Receives the `agent.execution` audit record of every completed run, for the platform to
   * publish (Aegis has no RPC that appends audit events). Awaited; a throw goes to onHookError.
   */
  onExecution?: (record: AuditEvent, result: GuardResult) => void | Promise<void>;
  /** Errors of onExecution (default: ignored, the run has already been billed). */
  onHookError?: (err: unknown) => void;
}

/** The agent run guard protects. */
export type GuardRun = (ctx: GuardRunContext) => Promise<RunResult>;

/** `guard(request, run)`: every check before, `run`, every check after; see docs/sdk.md. */
export type Guard = (request: GuardRequest, run: GuardRun) => Promise<GuardResult>;

const DEFAULT_COMPLETION_TOKENS = 1024;
const DEFAULT_RESERVATION_TTL_MS = 5 * 60_000;
const tracer = trace.getTracer('@aegis/sdk');

function requireText(value: string | undefined, what: string): void {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`@aegis/sdk guard: ${what} is required`);
}

function runSignal(request: GuardRequest, maxExecutionMs: number | undefined): AbortSignal {
  const signals = [
    ...(request.signal !== undefined ? [request.signal] : []),
    ...(maxExecutionMs !== undefined && maxExecutionMs > 0 ? [AbortSignal.timeout(maxExecutionMs)] : []),
  ];
  return signals.length === 0 ? new AbortController().signal : signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
}

/**
 * Builds `guard`: authenticate -> authorize (model included; the cost estimate beside it) -> rate
 * limit -> concurrency slot -> reserve the estimate and scan the input (together) -> run -> scan
 * the output and commit the actual usage (together) -> execution record. Refusals are
 * GuardRefusal subclasses; a service that cannot answer is a GuardServiceError (fail closed). The hold is released and the slot freed whenever the run
 * does not complete: `run` throws, or a step after the reservation refuses or fails.
 */
export function createGuard(clients: AegisClients, options: GuardOptions = {}): Guard {
  const completionDefault = BigInt(options.defaultCompletionTokens ?? DEFAULT_COMPLETION_TOKENS);
  const rule = options.rateLimit === false ? undefined : (options.rateLimit ?? {});
  const reservationTtlMs = options.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
  const headroom = new AdmissionHeadroom();

  // Output tokens of a run that reported none. If billing cannot count them, the reserved
  // estimate is booked instead (flagged estimated either way): losing the usage is worse.
  async function countedTokens(tenantId: string, model: { provider: string; model: string }, output: RunResult['output'], reserved: bigint): Promise<bigint> {
    try {
      return (await clients.billing.estimation.estimateTokens({ tenantId, provider: model.provider, model: model.model, text: textOf(output) })).tokens;
    } catch {
      return reserved;
    }
  }

  async function guarded(request: GuardRequest, run: GuardRun): Promise<GuardResult> {
    requireText(request.action, 'action');
    requireText(request.resource?.kind, 'resource.kind');
    requireText(request.model?.provider, 'model.provider');
    requireText(request.model?.model, 'model.model');
    const started = performance.now();
    const requestId = request.requestId ?? randomUUID();
    const call: CallOptions = request.signal !== undefined ? { signal: request.signal } : {};
    const agentId = request.agentId ?? (request.resource.kind === 'agent' ? (request.resource.id ?? '') : '');

    const principal = await authenticate(clients.auth, request.credential, request.tenantId ?? '', request.clientIp ?? '', call);
    const tenantId = principal.tenantId;
    // The estimate is read-only: it runs beside the decision instead of after it. Its failure
    // (an unknown model, say) is reported only if the decision allowed. Without promptTokens it
    // is billing's EstimateTokens; with them, no call at all (billing prices it when reserving).
    const estimating = estimate(clients.billing, tenantId, request.model, textOf(request.input),
      request.promptTokens === undefined ? undefined : toBigInt(request.promptTokens), toBigInt(request.maxOutputTokens, completionDefault), call);
    estimating.catch(() => {});
    const decision = await authorize(clients.policy, principal, request, call);
    const est = await estimating;
    const limits = decision.obligations?.resourceLimits;
    if (limits?.maxTokensPerRequest !== undefined && est.totalTokens > limits.maxTokensPerRequest) {
      throw new PermissionDeniedError('max_tokens_per_request', `the request may use up to ${est.totalTokens} tokens; the role allows ${limits.maxTokensPerRequest} per request`, decision.permission);
    }
    // Rate limit, concurrency slot, budget hold and input scan: at once while the bucket has
    // room (AdmissionHeadroom), else the limiter first so a flood stops before billing and pii.
    const bucket = rule === undefined ? undefined : bucketOf(rule, principal, est.totalTokens);
    const admitting = (): Promise<RateLimitHeaders | undefined> =>
      rule === undefined || bucket === undefined ? Promise.resolve(undefined) : admit(clients.ratelimit, rule, principal, bucket, call, headroom);
    const together = bucket === undefined || headroom.likelyAdmits(bucket);
    const admittedFirst = together ? undefined : await admitting();

    let slot: ExecutionSlot | undefined;
    let budgetHold: BudgetHold | undefined;
    let settled = false;
    try {
      const [admitted, slotted, held, scanned] = await Promise.allSettled([
        together ? admitting() : Promise.resolve(admittedFirst),
        options.concurrency !== false ? acquireSlot(clients.ratelimit, limits, principal, requestId, call) : Promise.resolve(undefined),
        holdBudget(clients.billing, principal, requestId, est, reservationTtlMs, call),
        scan(clients.pii, tenantId, request.input, 'input', call),
      ]);
      // Keep what was acquired before reporting a refusal, so the catch below gives it back.
      if (slotted.status === 'fulfilled') slot = slotted.value;
      if (held.status === 'fulfilled') budgetHold = held.value;
      // Refusals are reported in step order: rate limit, concurrency, budget, DLP.
      if (admitted.status === 'rejected') throw admitted.reason;
      if (slotted.status === 'rejected') throw slotted.reason;
      if (held.status === 'rejected') throw held.reason;
      if (scanned.status === 'rejected') throw scanned.reason;
      const rateLimit = admitted.value;
      const input = scanned.value;
      const hold = held.value.reservation;
      const perRequest = held.value.hold;
      const carve = held.value.carve;

      const result = await run({
        input: input.content, principal, decision, reservation: hold, requestId,
        signal: runSignal(request, limits?.maxExecutionTime !== undefined ? msOf(limits.maxExecutionTime) : undefined),
      });
      // Counts the run reported are checked before the usage is taken as real: invalid ones
      // (negative, fractional) are the run's error, and the hold (or carve) is given back.
      const reported = result.usage === undefined ? undefined : tokenUsage(result.usage);
      // From here the model has run, so the usage is real: the output scan and the commit run at
      // once, and the usage is booked whatever the scan says.
      settled = true;
      // The run is over: its concurrency slot is free while the output is scanned and committed.
      const freeing = slot?.release();
      const model = result.model ?? request.model;
      const scanningOutput: Promise<{ ok: { content: RunResult['output']; summary: ScanSummary } } | { failed: unknown }> =
        scan(clients.pii, tenantId, result.output, 'output', call).then((ok) => ({ ok }), (failed: unknown) => ({ failed }));
      const estimated = result.usage === undefined;
      const tokens = reported ?? tokenUsage({ promptTokens: est.promptTokens, completionTokens: await countedTokens(tenantId, model, result.output, est.completionTokens) });
      // Carved from an allowance: the usage is settled in the background, priced here with the
      // hold's quoted price (billing's own number unless the run used another model). Otherwise
      // committed as before; no signal: a client that leaves now must not keep it from being booked.
      let booking: { cost: GuardResult['cost']; usageEventId: string; settled: GuardResult['settled']; reservation: GuardResult['reservation'] };
      if (carve !== undefined) {
        const settling = clients.billing.allowances!.settle(carve, { model, tokens, estimated, agentId, requestId });
        const cost = settling.cost !== undefined
          ? create(MoneySchema, { currencyCode: carve.allowance.quote.currency, amountNanos: settling.cost })
          : (await atStep('commit', () => settling.settled)).cost;
        booking = { cost, usageEventId: carve.eventId, settled: settling.settled, reservation: hold };
      } else {
        const committed = await commit(clients.billing, hold, model, tokens, estimated, agentId, {});
        const cost = committed.cost ?? perRequest!.estimatedCost;
        booking = { cost, usageEventId: committed.usageEventId, settled: Promise.resolve({ usageEventId: committed.usageEventId, cost }), reservation: committed.reservation ?? hold };
      }
      const scannedOutput = await scanningOutput;
      await freeing;
      if ('failed' in scannedOutput) throw scannedOutput.failed;
      const output = scannedOutput.ok;
      const durationMs = performance.now() - started;
      const dlp = { input: input.summary, output: output.summary };
      const execution = executionRecord({
        principal, decision, requestId, agentId, resource: request.resource, model, clientIp: request.clientIp ?? '', durationMs, tokens, cost: booking.cost, dlp,
      });
      const guardResult: GuardResult = {
        output: output.content, principal, decision, requestId, reservation: booking.reservation,
        tokens: { promptTokens: tokens.promptTokens, completionTokens: tokens.completionTokens, cachedPromptTokens: tokens.cachedPromptTokens, cacheWriteTokens: tokens.cacheWriteTokens, reasoningTokens: tokens.reasoningTokens },
        estimated, cost: booking.cost, usageEventId: booking.usageEventId, settled: booking.settled, dlp,
        ...(rateLimit !== undefined ? { rateLimit } : {}), execution, durationMs,
      };
      if (options.onExecution !== undefined) {
        try {
          await options.onExecution(execution, guardResult);
        } catch (err) {
          options.onHookError?.(err);
        }
      }
      return guardResult;
    } catch (err) {
      // Nothing ran (or the run failed): give the hold back (a carve to its allowance, locally).
      // After a run the usage is real and the hold stays until committed (a failed commit leaves
      // it to expire, never released).
      if (budgetHold?.carve !== undefined && !settled) clients.billing.allowances?.release(budgetHold.carve);
      else if (budgetHold?.hold !== undefined && !settled) await release(clients.billing, budgetHold.hold.reservation);
      throw err;
    } finally {
      await slot?.release();
    }
  }

  return (request, run) => tracer.startActiveSpan('aegis.guard', async (span) => {
    try {
      const result = await guarded(request, run);
      span.setAttributes({ 'aegis.tenant_id': result.principal.tenantId, 'aegis.request_id': result.requestId });
      return result;
    } catch (err) {
      if (err instanceof GuardRefusal) span.setAttributes({ 'aegis.refusal': err.kind, 'aegis.refusal_reason': err.reason });
      else span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}
