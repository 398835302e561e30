// The five services as in-memory fakes behind createRouterTransport: each records the calls
// it gets (with the credential header) and answers as configured, so unit tests can check the
// guard's step order, its refusal mapping and its clean-up without any backend.
import { Code, ConnectError, createRouterTransport, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { TokenService } from '@aegis/proto/aegis/auth/v1/token_service_pb.js';
import { EstimationService } from '@aegis/proto/aegis/billing/v1/estimation_service_pb.js';
import { ReservationService } from '@aegis/proto/aegis/billing/v1/reservation_service_pb.js';
import { ReservationStatus } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import { ScanDirection } from '@aegis/proto/aegis/pii/v1/dlp_pb.js';
import { PiiService, type ScanRequest } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import { DecisionReason } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { DecisionService, type CheckResponse } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { LeaseService } from '@aegis/proto/aegis/ratelimit/v1/lease_service_pb.js';
import { RateLimitService } from '@aegis/proto/aegis/ratelimit/v1/rate_limit_service_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { CheckResponseSchema } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import type { CheckResponseSchema as RateCheckResponseSchema } from '@aegis/proto/aegis/ratelimit/v1/rate_limit_service_pb.js';
import type { ScanResponseSchema } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import type { ReserveBudgetResponseSchema } from '@aegis/proto/aegis/billing/v1/reservation_service_pb.js';
import type { AcquireLeaseResponseSchema } from '@aegis/proto/aegis/ratelimit/v1/lease_service_pb.js';
import { createAegisClients, type AegisClients } from '../../src/index.js';

export const SERVICE_KEY = 'platform_live_servicekey';
export const USER_KEY = 'genxai_live_userkey';

export interface FakeCall {
  rpc: string;
  credential: string | null;
  message: unknown;
}

type Answer<T> = T | ((req: never) => T | Promise<T>);

export interface FakeAnswers {
  verifyApiKey?: Answer<Record<string, unknown>>;
  check?: Answer<MessageInitShape<typeof CheckResponseSchema>>;
  rateLimit?: Answer<MessageInitShape<typeof RateCheckResponseSchema>>;
  lease?: Answer<MessageInitShape<typeof AcquireLeaseResponseSchema>>;
  reserve?: Answer<MessageInitShape<typeof ReserveBudgetResponseSchema>>;
  scan?: (req: ScanRequest) => MessageInitShape<typeof ScanResponseSchema>;
  estimateCost?: Answer<Record<string, unknown>>;
  /** Failures to throw before answering, per RPC name, consumed one per call. */
  failures?: Record<string, ConnectError[]>;
}

export const PRINCIPAL = {
  tenantId: 'acme', type: PrincipalType.API_KEY, id: 'key-1', userId: 'user-1', apiKeyId: 'key-1', roles: ['operator'], tier: RateLimitTier.PRO,
};

export const ALLOW_DECISION = {
  effect: Effect.ALLOW, permission: 'agent:execute', reason: DecisionReason.ROLE_PERMISSION, matchedRole: 'operator', obligations: { allowedModels: ['*'] }, revision: 3n,
};

export const ALLOW: MessageInitShape<typeof CheckResponseSchema> = { decision: ALLOW_DECISION };

// The fake DLP: e-mail addresses are redacted in both directions; "BLOCKME" is blocked by rule "no_secrets".
function fakeScan(req: ScanRequest): MessageInitShape<typeof ScanResponseSchema> {
  const text = req.content?.kind.case === 'text' ? req.content.kind.value : '';
  if (text.includes('BLOCKME')) return { allowed: false, blockingRule: 'no_secrets' };
  const at = text.search(/\S+@\S+/);
  if (at < 0) return { allowed: true, content: { kind: { case: 'text', value: text } } };
  const end = at + /\S+@\S+/.exec(text)![0].length;
  return {
    allowed: true,
    content: { kind: { case: 'text', value: text.replace(/\S+@\S+/, '<EMAIL>') } },
    findings: [{ type: 'email', start: at, end, score: 0.9, replacement: '<EMAIL>' }],
    matchedRules: [{ ruleName: 'redact_email', action: 3, alert: false, findingCount: 1 }],
  };
}

export interface FakeAegis {
  clients: AegisClients;
  calls: FakeCall[];
  names(): string[];
}

export function fakeAegis(answers: FakeAnswers = {}, clientOpts: { retry?: { maxAttempts?: number } } = {}): FakeAegis {
  const calls: FakeCall[] = [];
  const failures = answers.failures ?? {};
  const record = async (rpc: string, message: unknown, ctx: HandlerContext) => {
    calls.push({ rpc, credential: ctx.requestHeader.get('authorization'), message });
    const failure = failures[rpc]?.shift();
    if (failure !== undefined) throw failure;
  };
  const answer = async <T>(a: Answer<T> | undefined, fallback: T, req: unknown): Promise<T> =>
    a === undefined ? fallback : typeof a === 'function' ? await (a as (r: unknown) => T | Promise<T>)(req) : a;
  const routes = (router: ConnectRouter) => {
    router.service(ApiKeyService, {
      async verifyApiKey(req, ctx) {
        await record('VerifyApiKey', req, ctx);
        return answer(answers.verifyApiKey, req.key === USER_KEY ? { valid: true, principal: PRINCIPAL, keyId: 'key-1' } : { valid: false, reason: 3 }, req);
      },
    });
    router.service(TokenService, {
      async introspectToken(req, ctx) {
        await record('IntrospectToken', req, ctx);
        return { active: true, principal: { ...PRINCIPAL, type: PrincipalType.USER, id: 'user-1', apiKeyId: '', tier: RateLimitTier.UNSPECIFIED } };
      },
    });
    router.service(DecisionService, {
      async check(req, ctx) {
        await record('Check', req, ctx);
        return answer(answers.check, ALLOW, req) as Promise<CheckResponse>;
      },
    });
    router.service(RateLimitService, {
      async check(req, ctx) {
        await record('RateLimit.Check', req, ctx);
        return answer(answers.rateLimit, { allowed: true, headers: { rateLimit: '"requests_per_minute";r=59;t=1', rateLimitPolicy: '"requests_per_minute";q=60;w=60' } }, req);
      },
    });
    router.service(LeaseService, {
      async acquireLease(req, ctx) {
        await record('AcquireLease', req, ctx);
        return answer(answers.lease, { acquired: true, lease: { tenantId: req.tenantId, key: req.key, leaseId: 'lease-1' }, activeCount: 1n, maxConcurrent: req.maxConcurrent }, req);
      },
      async releaseLease(req, ctx) {
        await record('ReleaseLease', req, ctx);
        return { released: true };
      },
    });
    router.service(EstimationService, {
      async estimateTokens(req, ctx) {
        await record('EstimateTokens', req, ctx);
        return { tokens: BigInt(Math.ceil(req.text.length / 4)), tokenizer: 'fake', exact: true };
      },
      async estimateCost(req, ctx) {
        await record('EstimateCost', req, ctx);
        if (req.model === 'unknown-model') throw new ConnectError(`model ${req.provider}/${req.model} is not in the price catalogue`, Code.NotFound);
        const tokens = (req.tokens?.promptTokens ?? 0n) + (req.tokens?.completionTokens ?? 0n);
        return answer(answers.estimateCost, { cost: { currencyCode: 'USD', amountNanos: tokens * 1000n } }, req);
      },
    });
    router.service(ReservationService, {
      async reserveBudget(req, ctx) {
        await record('ReserveBudget', req, ctx);
        // Billing prices estimated_usage as EstimateCost would: 1000 nanos a token here.
        const usage = req.estimatedUsage;
        if (usage?.model === 'unknown-model') throw new ConnectError(`model ${usage.provider}/${usage.model} is not in the price catalogue`, Code.NotFound);
        const estimatedCost = req.estimatedCost ?? { currencyCode: 'USD', amountNanos: ((usage?.tokens?.promptTokens ?? 0n) + (usage?.tokens?.completionTokens ?? 0n)) * 1000n };
        // A configured answer gets the priced estimate unless it sets estimatedCost itself (even to undefined).
        return { estimatedCost, ...(await answer(answers.reserve, {
          allowed: true,
          reservation: { tenantId: req.tenantId, reservationId: 'res-1', requestId: req.requestId, amount: estimatedCost, tokens: req.estimatedTokens, status: ReservationStatus.HELD },
        }, req)) } as MessageInitShape<typeof ReserveBudgetResponseSchema>;
      },
      async commitReservation(req, ctx) {
        await record('CommitReservation', req, ctx);
        const tokens = (req.tokens?.promptTokens ?? 0n) + (req.tokens?.completionTokens ?? 0n);
        return { reservation: { tenantId: req.tenantId, reservationId: req.reservationId, status: ReservationStatus.COMMITTED }, cost: { currencyCode: 'USD', amountNanos: tokens * 1000n }, usageEventId: 'usage-1' };
      },
      async releaseReservation(req, ctx) {
        await record('ReleaseReservation', req, ctx);
        return { reservation: { tenantId: req.tenantId, reservationId: req.reservationId, status: ReservationStatus.RELEASED } };
      },
    });
    router.service(PiiService, {
      async scan(req, ctx) {
        await record(req.direction === ScanDirection.OUTPUT ? 'Scan(OUTPUT)' : 'Scan(INPUT)', req, ctx);
        return (answers.scan ?? fakeScan)(req);
      },
    });
  };
  const clients = createAegisClients({
    urls: 'http://unused.test',
    apiKey: SERVICE_KEY,
    // These tests assert per-request holds; budget allowances have their own (budget-allowances.test.ts).
    budgetAllowances: false,
    retry: { initialBackoffMs: 1, maxBackoffMs: 2, ...clientOpts.retry },
    transport: (_service, options) => createRouterTransport(routes, { transport: options }),
  });
  return { clients, calls, names: () => calls.map((c) => c.rpc) };
}

export function unavailable(what = 'down'): ConnectError {
  return new ConnectError(what, Code.Unavailable);
}
