// @aegis/sdk: what a platform service needs to put Aegis in front of its agent runs.
// Runtime dependencies are the generated contracts, Connect and the OpenTelemetry API only:
// nothing of the services' own runtime (no pg, ioredis or kafkajs).
import { createAegisClients, type AegisClientOptions, type AegisClients } from './clients.js';
import { createGuard, type Guard, type GuardOptions } from './guard/guard.js';

export * from './clients.js';
export { DEFAULT_RETRY, aegisRetrySafety, backoffMs, retryInterceptor, type RetryPolicy, type RetrySafety } from './transport/retry.js';
export { clientTracingInterceptor } from './transport/tracing.js';
export { BudgetAllowances, type BudgetAllowanceOptions, type BudgetAllowanceStats } from './budget/allowances.js';
export type { UsageSettlement } from './budget/settler.js';
export { CachedDecisions, type DecisionCacheOptions, type DecisionCacheStats } from './cache/decision-cache-watch.js';
export { IdleLeases, RateAllowances, type RateAllowanceOptions, type RateAllowanceStats, type SlotReuseOptions } from './ratelimit/index.js';
export { LocalScanner, type LocalScanOptions, type LocalScanStats } from './scan/local-scanner.js';
export { createGuard, type Guard, type GuardOptions, type GuardRun } from './guard/guard.js';
export type { RateLimitRule } from './guard/admission.js';
export { credentialFromHeaders } from './guard/credential.js';
export { AGENT_EXECUTION_ACTION } from './guard/execution-record.js';
export { GUARD_PERMISSIONS } from './guard/permissions.js';
export {
  BudgetExceededError,
  DlpBlockedError,
  GuardRefusal,
  GuardServiceError,
  PermissionDeniedError,
  RateLimitedError,
  UnauthenticatedError,
  type GuardStep,
  type PermissionDeniedReason,
  type UnauthenticatedReason,
} from './guard/errors.js';
export type { GuardContent, GuardRequest, GuardResult, GuardRunContext, RunResult, ScanSummary, TokenCounts } from './guard/types.js';

export interface Aegis {
  clients: AegisClients;
  guard: Guard;
  /** See AegisClients.close: resolves once pending usage is settled and allowances are given back. */
  close(): Promise<void>;
}

/** The clients and a guard over them, in one call. */
export function createAegis(opts: AegisClientOptions & { guard?: GuardOptions }): Aegis {
  const clients = createAegisClients(opts);
  return { clients, guard: createGuard(clients, opts.guard), close: () => clients.close() };
}
