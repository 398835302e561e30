import type { JsonValue } from '@bufbuild/protobuf';
import type { Reservation } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import type { Money } from '@aegis/proto/aegis/common/v1/money_pb.js';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import type { AuditEvent } from '@aegis/proto/aegis/events/v1/audit_event_pb.js';
import type { Finding } from '@aegis/proto/aegis/pii/v1/content_pb.js';
import type { RuleMatch } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import type { Decision } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import type { RateLimitHeaders } from '@aegis/proto/aegis/ratelimit/v1/limit_pb.js';
import type { UsageSettlement } from '../budget/settler.js';

/** What an agent reads or writes: plain text, or a JSON document (scanned string by string). */
export type GuardContent = string | { json: JsonValue };

/** Token counts as a model reports them (parts inside wholes, see aegis.common.v1.TokenUsage). */
export interface TokenCounts {
  promptTokens: number | bigint;
  completionTokens: number | bigint;
  cachedPromptTokens?: number | bigint;
  cacheWriteTokens?: number | bigint;
  reasoningTokens?: number | bigint;
}

/** One guarded request: who asks (the credential), to do what, with which model and input. */
export interface GuardRequest {
  /**
   * The end user's credential: an API key or an Aegis access token (JWT), bare or as
   * `Bearer <value>` (an Authorization header value works as is). See `credentialFromHeaders`.
   */
  credential: string | undefined;
  /** Expected tenant; empty lets the credential decide. */
  tenantId?: string;
  /** The action, e.g. `execute`; the permission checked is `<resource.kind>:<action>`. */
  action: string;
  /** What is acted on, e.g. `{ kind: 'agent', id: 'support-bot' }`; attributes feed ABAC conditions as `data.*`. */
  resource: { kind: string; id?: string; attributes?: Record<string, JsonValue> };
  /** The model the run will use; checked against the principal's model access and priced. */
  model: { provider: string; model: string };
  /** The agent's input, scanned and redacted before `run` sees it. */
  input: GuardContent;
  /** Expected completion tokens (priced and reserved); default the guard's `defaultCompletionTokens`. */
  maxOutputTokens?: number | bigint;
  /** Prompt tokens if already known; otherwise billing counts them with the model's tokenizer. */
  promptTokens?: number | bigint;
  /** The platform's request id (the reservation and the UsageEvent carry it); default a random UUID. */
  requestId?: string;
  /** Agent id for the UsageEvent and the execution record; default resource.id when resource.kind is `agent`. */
  agentId?: string;
  /** Client IP: throttles failed key verifications and is `request.ip` in policy conditions. */
  clientIp?: string;
  /** Further attributes for policy conditions (`request.<name>`). */
  context?: Record<string, JsonValue>;
  /** Cancels the guard and the run (e.g. the HTTP client went away). */
  signal?: AbortSignal;
}

/** What `run` receives. */
export interface GuardRunContext {
  /** The input after the tenant's DLP rules (redacted or masked where a rule says so). */
  input: GuardContent;
  /** The verified end user. */
  principal: Principal;
  /** The allowing decision, with its obligations (allowed models, resource limits). */
  decision: Decision;
  /** The budget hold for this run: its own, or the shared hold of the allowance it was carved from. */
  reservation: Reservation;
  requestId: string;
  /** Aborted when the request is cancelled or the role's max_execution_time passes. */
  signal: AbortSignal;
}

/** What `run` returns. */
export interface RunResult {
  /** The agent's output, scanned and redacted before it is returned. */
  output: GuardContent;
  /**
   * Tokens the model actually used. Omitted: the output's tokens are counted with the model's
   * tokenizer, the prompt is taken from the estimate, and the usage is flagged estimated.
   */
  usage?: TokenCounts;
  /** The model that actually served, if not the one asked for. */
  model?: { provider: string; model: string };
}

/** A guarded run that went through. */
export interface GuardResult {
  /** The output after the tenant's DLP rules. */
  output: GuardContent;
  principal: Principal;
  decision: Decision;
  requestId: string;
  /** The settled reservation; for a run carved from a budget allowance, the allowance's shared hold (still open). */
  reservation: Reservation;
  /** Tokens booked (normalised). */
  tokens: { promptTokens: bigint; completionTokens: bigint; cachedPromptTokens: bigint; cacheWriteTokens: bigint; reasoningTokens: bigint };
  /** True when the counts came from the tokenizer, not the model. */
  estimated: boolean;
  /**
   * Exact cost booked. For a run carved from a budget allowance it is computed here with the
   * price billing quoted for the hold (the same function and rounding), so it equals what
   * billing books; `settled` confirms it.
   */
  cost: Money;
  /** Id of the UsageEvent on aegis.usage.v1 (for an allowance, generated by the SDK and sent with the settle). */
  usageEventId: string;
  /**
   * Resolves when billing has the usage (at once after a per-request commit; for an allowance,
   * when the background settle lands, with billing's cost). Rejects if the settle finally fails
   * (also reported to `onSettleError`); never an unhandled rejection if left alone.
   */
  settled: Promise<UsageSettlement>;
  /** What the DLP scans found (offsets, types and rules; never values). */
  dlp: { input: ScanSummary; output: ScanSummary };
  /** Values for `RateLimit`, `RateLimit-Policy` headers. */
  rateLimit?: RateLimitHeaders;
  /** The `agent.execution` audit record (see GuardOptions.onExecution). */
  execution: AuditEvent;
  durationMs: number;
}

export interface ScanSummary {
  /** False when the tenant does not scan this direction. */
  scanned: boolean;
  findings: readonly Finding[];
  matchedRules: readonly RuleMatch[];
}
