import { create } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorInfoSchema, RetryInfoSchema } from '@aegis/proto/aegis/common/v1/error_details_pb.js';
import type { BudgetStatus } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import type { RateLimitHeaders } from '@aegis/proto/aegis/ratelimit/v1/limit_pb.js';

const DOMAIN = 'sdk.aegis';

/** The guard step a failure came from. */
export type GuardStep = 'authenticate' | 'authorize' | 'rate_limit' | 'concurrency' | 'estimate' | 'reserve' | 'scan_input' | 'run' | 'scan_output' | 'commit';

/**
 * A refusal: the request was understood and Aegis said no. `message` is safe to show the end
 * user (it never contains a credential or PII); `kind` and `reason` are for code.
 */
export abstract class GuardRefusal extends Error {
  abstract readonly kind: 'unauthenticated' | 'permission_denied' | 'rate_limited' | 'budget_exceeded' | 'dlp_blocked';
  /** HTTP status an HTTP gateway should answer with. */
  abstract readonly httpStatus: number;
  /** Machine-readable reason within the kind, e.g. `revoked`, `model_not_allowed`. */
  abstract readonly reason: string;
  /** The step that refused. */
  abstract readonly step: GuardStep;

  /** How long to wait before trying again, when waiting can help. */
  get retryAfterMs(): number | undefined {
    return undefined;
  }

  protected abstract connectCode(): Code;

  /** The refusal as a Connect error, for Connect handlers (ErrorInfo reason = kind upper-cased, RetryInfo when timed). */
  toConnectError(): ConnectError {
    const details: ConstructorParameters<typeof ConnectError>[3] = [
      { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason: this.kind.toUpperCase(), domain: DOMAIN, metadata: { reason: this.reason, step: this.step } }) },
    ];
    const retryAfterMs = this.retryAfterMs;
    const metadata = new Headers();
    if (retryAfterMs !== undefined) {
      details.push({ desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: durationFromMs(retryAfterMs) }) });
      metadata.set('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    }
    return new ConnectError(this.message, this.connectCode(), metadata, details);
  }

  /** A JSON body for HTTP answers. */
  toJSON(): Record<string, unknown> {
    const retryAfterMs = this.retryAfterMs;
    return { code: this.kind, reason: this.reason, message: this.message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
}

export type UnauthenticatedReason = 'missing' | 'invalid' | 'revoked' | 'expired' | 'disabled' | 'owner_disabled' | 'throttled' | 'inactive_token';

export class UnauthenticatedError extends GuardRefusal {
  readonly kind = 'unauthenticated';
  readonly httpStatus = 401;
  readonly step = 'authenticate';
  readonly #retryAfterMs: number | undefined;
  constructor(readonly reason: UnauthenticatedReason, message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'UnauthenticatedError';
    this.#retryAfterMs = retryAfterMs;
  }
  override get retryAfterMs(): number | undefined {
    return this.#retryAfterMs;
  }
  protected connectCode(): Code {
    return Code.Unauthenticated;
  }
}

export type PermissionDeniedReason = 'no_match' | 'policy_deny' | 'model_not_allowed' | 'scope_excluded' | 'max_tokens_per_request';

export class PermissionDeniedError extends GuardRefusal {
  readonly kind = 'permission_denied';
  readonly httpStatus = 403;
  readonly step = 'authorize';
  constructor(
    readonly reason: PermissionDeniedReason,
    message: string,
    /** The permission evaluated, e.g. `agent:execute`. */
    readonly permission: string,
    /** The model asked for, when the model was the problem. */
    readonly model?: string,
  ) {
    super(message);
    this.name = 'PermissionDeniedError';
  }
  protected connectCode(): Code {
    return Code.PermissionDenied;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), permission: this.permission, ...(this.model !== undefined ? { model: this.model } : {}) };
  }
}

export class RateLimitedError extends GuardRefusal {
  readonly kind = 'rate_limited';
  readonly httpStatus = 429;
  readonly #retryAfterMs: number;
  constructor(
    readonly reason: 'rate_limit' | 'concurrency',
    message: string,
    retryAfterMs: number,
    /** Ready-made RateLimit / RateLimit-Policy header values (rate limits only). */
    readonly headers?: RateLimitHeaders,
  ) {
    super(message);
    this.name = 'RateLimitedError';
    this.#retryAfterMs = retryAfterMs;
  }
  get step(): GuardStep {
    return this.reason === 'concurrency' ? 'concurrency' : 'rate_limit';
  }
  override get retryAfterMs(): number {
    return this.#retryAfterMs;
  }
  protected connectCode(): Code {
    return Code.ResourceExhausted;
  }
}

export class BudgetExceededError extends GuardRefusal {
  readonly kind = 'budget_exceeded';
  readonly httpStatus = 402;
  readonly step = 'reserve';
  readonly reason = 'hard_budget';
  constructor(
    message: string,
    /** The first hard budget that could not hold the estimate. */
    readonly blockingBudgetId: string,
    /** Every applicable budget, as billing reported it. */
    readonly statuses: readonly BudgetStatus[],
  ) {
    super(message);
    this.name = 'BudgetExceededError';
  }
  protected connectCode(): Code {
    return Code.ResourceExhausted;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), budgetId: this.blockingBudgetId };
  }
}

export class DlpBlockedError extends GuardRefusal {
  readonly kind = 'dlp_blocked';
  readonly httpStatus = 422;
  readonly reason = 'blocking_rule';
  constructor(
    message: string,
    /** The tenant's DLP rule that blocked the content. */
    readonly rule: string,
    /** Whether the agent's input or its output was blocked. */
    readonly direction: 'input' | 'output',
  ) {
    super(message);
    this.name = 'DlpBlockedError';
  }
  get step(): GuardStep {
    return this.direction === 'input' ? 'scan_input' : 'scan_output';
  }
  protected connectCode(): Code {
    return Code.PermissionDenied;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), rule: this.rule, direction: this.direction };
  }
}

/**
 * Not a refusal: a service could not give an answer (Unavailable, DeadlineExceeded, ...) or
 * rejected the request as malformed (InvalidArgument, NotFound for an unknown model). The guard
 * fails closed: nothing ran. `cause` is the ConnectError, for logs.
 */
export class GuardServiceError extends Error {
  readonly code: Code;
  constructor(readonly step: GuardStep, cause: ConnectError) {
    super(`${step}: ${cause.rawMessage}`, { cause });
    this.name = 'GuardServiceError';
    this.code = cause.code;
  }
  /** 400 for requests the services found malformed, 409 for a reused request id, 503 when they could not answer, 500 otherwise. */
  get httpStatus(): number {
    if (this.code === Code.AlreadyExists) return 409;
    if (this.code === Code.InvalidArgument || this.code === Code.NotFound || this.code === Code.FailedPrecondition || this.code === Code.OutOfRange) return 400;
    if (this.code === Code.Unavailable || this.code === Code.DeadlineExceeded || this.code === Code.ResourceExhausted) return 503;
    return 500;
  }
  toConnectError(): ConnectError {
    return new ConnectError(this.message, this.code);
  }
  toJSON(): Record<string, unknown> {
    return { code: 'service_error', step: this.step, grpcCode: Code[this.code], message: this.message };
  }
}

/** Runs one service call of `step`; a failure becomes a GuardServiceError naming the step. */
export async function atStep<T>(step: GuardStep, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof GuardRefusal || err instanceof GuardServiceError) throw err;
    throw new GuardServiceError(step, ConnectError.from(err));
  }
}
