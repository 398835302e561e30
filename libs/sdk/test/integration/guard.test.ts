// guard() against the five real services on Postgres, Redis and Kafka: the happy path with
// usage reaching billing through aegis.usage.v1, and every refusal path.
import { Code, ConnectError } from '@connectrpc/connect';
import { BudgetEnforcement, BudgetPeriod, ReservationStatus } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import { UsagePeriod } from '@aegis/proto/aegis/billing/v1/usage_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import type { AuditEvent } from '@aegis/proto/aegis/events/v1/audit_event_pb.js';
import { DlpAction } from '@aegis/proto/aegis/pii/v1/dlp_pb.js';
import {
  BudgetExceededError, DlpBlockedError, PermissionDeniedError, RateLimitedError, UnauthenticatedError, createAegis,
  type Aegis, type GuardRequest, type GuardRunContext, type RunResult,
} from '../../src/index.js';
import { eventually, refusal, startPlatform, type RunningPlatform } from './platform-harness.js';

// Deadlines far above any answer time: the machine is shared and loaded, and billing's first
// token count loads the tokenizer. Tests never pass or fail on speed.
const TEST_TIMEOUT_MS = 30_000;

let platform: RunningPlatform;
let aegis: Aegis;
const records: AuditEvent[] = [];

beforeAll(async () => {
  platform = await startPlatform();
  const { admin, tenantId } = platform;
  await admin.policy.roles.createRole({ tenantId, role: { name: 'agent_runner', permissions: ['agent:execute'], modelAccess: ['gpt-4o', 'gpt-3.5-turbo'] } });
  await admin.policy.roles.createRole({ tenantId, role: { name: 'cheap_runner', permissions: ['agent:execute'], modelAccess: ['gpt-3.5-turbo'] } });
  await admin.pii.dlp.createDlpRule({ tenantId, rule: { name: 'redact_email', match: { case: 'piiType', value: 'email' }, action: DlpAction.REDACT, enabled: true } });
  await admin.pii.dlp.createDlpRule({ tenantId, rule: { name: 'block_codenames', match: { case: 'pattern', value: 'PROJECT-[0-9]{4}' }, action: DlpAction.BLOCK, alert: true, enabled: true } });
  // Per-request holds and commits, as these tests assert them (allowances: budget-allowances.test.ts).
  aegis = createAegis({ urls: platform.urls, apiKey: platform.serviceKey, timeoutMs: TEST_TIMEOUT_MS, budgetAllowances: false, guard: { onExecution: (record) => void records.push(record) } });
}, 120_000);

afterAll(async () => {
  await aegis?.close();
  await platform?.stop();
});

function request(credential: string, overrides: Partial<GuardRequest> = {}): GuardRequest {
  return {
    credential: `Bearer ${credential}`,
    action: 'execute',
    resource: { kind: 'agent', id: 'support-bot' },
    model: { provider: 'openai', model: 'gpt-4o' },
    input: 'Draft a reply to jane.doe@example.com about her refund',
    maxOutputTokens: 200,
    ...overrides,
  };
}

const agent = async (ctx: GuardRunContext): Promise<RunResult> => ({
  output: `Reply drafted for: ${ctx.input as string}. Copy sent to ops.lead@example.org`,
  usage: { promptTokens: 120, completionTokens: 80 },
});

async function reservedNanos(userId: string): Promise<bigint> {
  const { statuses } = await platform.admin.billing.budgets.getRemainingBudget({ tenantId: platform.tenantId, userId });
  return statuses.reduce((sum, s) => sum + (s.reserved?.amountNanos ?? 0n), 0n);
}

async function budgetFor(userId: string, usd: number): Promise<string> {
  const { budget } = await platform.admin.billing.budgets.createBudget({
    tenantId: platform.tenantId,
    budget: { name: `b-${userId.slice(0, 8)}`, userId, amountLimit: { currencyCode: 'USD', amountNanos: BigInt(Math.round(usd * 1e9)) }, period: BudgetPeriod.MONTH, enforcement: BudgetEnforcement.HARD },
  });
  return budget!.budgetId;
}

test('happy path: redacted in and out, usage committed once and booked by billing from Kafka', async () => {
  const user = await platform.user(['agent_runner']);
  let seen = '';
  const result = await aegis.guard(request(user.key), async (ctx) => {
    seen = ctx.input as string;
    return agent(ctx);
  });
  expect(seen).not.toContain('jane.doe@example.com');
  expect(seen).toContain('Draft a reply to');
  expect(result.output).not.toContain('example');
  expect(result.principal).toMatchObject({ tenantId: platform.tenantId, userId: user.userId, type: PrincipalType.API_KEY });
  expect(result.dlp.input.findings.map((f) => f.type)).toEqual(['email']);
  expect(result.dlp.output.matchedRules.map((r) => r.ruleName)).toEqual(['redact_email']);
  expect(result.reservation.status).toBe(ReservationStatus.COMMITTED);
  // gpt-4o: $0.0025 per 1k prompt tokens, $0.01 per 1k completion tokens.
  expect(result.cost).toMatchObject({ currencyCode: 'USD', amountNanos: 120n * 2_500n + 80n * 10_000n });
  expect(result.usageEventId).not.toBe('');
  expect(records.at(-1)).toMatchObject({ agent: { agentId: 'support-bot', model: 'gpt-4o' }, execution: { requestId: result.requestId } });

  const usage = await eventually(async () => {
    const res = await platform.admin.billing.usage.getUsage({ tenantId: platform.tenantId, userId: user.userId, window: { case: 'period', value: UsagePeriod.DAY } });
    return res.totals?.requestCount === 1n ? res : undefined;
  }, 30_000, 'the usage to be booked');
  expect(usage.totals?.tokens).toMatchObject({ promptTokens: 120n, completionTokens: 80n });
  expect(usage.totals?.cost?.amountNanos).toBe(result.cost.amountNanos);
  // The commit is retried safely and RecordUsage is never called: still booked once, a moment later.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const later = await platform.admin.billing.usage.getUsage({ tenantId: platform.tenantId, userId: user.userId, window: { case: 'period', value: UsagePeriod.DAY } });
  expect(later.totals?.requestCount).toBe(1n);
});

test('JSON input and output are scanned string by string and keep their shape', async () => {
  const user = await platform.user(['agent_runner']);
  let seen: unknown;
  const result = await aegis.guard(request(user.key, { input: { json: { task: 'refund', customer: { email: 'jane.doe@example.com', orders: [3, 4] } } } }), async (ctx) => {
    seen = ctx.input;
    return { output: { json: { reply: 'sent to ops.lead@example.org', ok: true } }, usage: { promptTokens: 10, completionTokens: 5 } };
  });
  expect(seen).toMatchObject({ json: { task: 'refund', customer: { orders: [3, 4] } } });
  expect(JSON.stringify(seen)).not.toContain('jane.doe@example.com');
  expect(result.output).toMatchObject({ json: { ok: true } });
  expect(JSON.stringify(result.output)).not.toContain('ops.lead@example.org');
  expect(result.dlp.input.findings[0]?.jsonPath).toBe("$['customer']['email']");
});

test('an access token is introspected; the user runs like with a key', async () => {
  const user = await platform.user(['agent_runner']);
  const token = (await platform.admin.auth.tokens.issueToken({ tenantId: platform.tenantId, userId: user.userId })).tokens!.accessToken;
  const result = await aegis.guard(request(token, { input: 'hello' }), agent);
  expect(result.principal).toMatchObject({ type: PrincipalType.USER, userId: user.userId });
});

test('a wrong key and a revoked key are Unauthenticated, with reasons the caller can show', async () => {
  const wrong = await refusal(aegis.guard(request('genxai_live_0000000000000000000000000000000000000000'), agent));
  expect(wrong).toBeInstanceOf(UnauthenticatedError);
  expect(wrong).toMatchObject({ reason: 'invalid', httpStatus: 401 });
  const user = await platform.user(['agent_runner']);
  await platform.admin.auth.apiKeys.revokeApiKey({ tenantId: platform.tenantId, keyId: user.keyId, reason: 'test' });
  const revoked = await eventually(async () => {
    const err = await aegis.guard(request(user.key, { input: 'hi' }), agent).then(() => undefined, (e: unknown) => e);
    return err instanceof UnauthenticatedError ? err : undefined;
  }, 5000, 'the revocation');
  expect(revoked.reason).toBe('revoked');
});

test('a role without agent:execute is PermissionDenied; a model outside the role\'s access is model_not_allowed', async () => {
  const viewer = await platform.user(['viewer']);
  const denied = await refusal(aegis.guard(request(viewer.key), agent));
  expect(denied).toBeInstanceOf(PermissionDeniedError);
  expect(denied).toMatchObject({ reason: 'no_match', permission: 'agent:execute' });
  const cheap = await platform.user(['cheap_runner']);
  const model = await refusal(aegis.guard(request(cheap.key), agent));
  expect(model).toMatchObject({ kind: 'permission_denied', reason: 'model_not_allowed', model: 'gpt-4o' });
  expect((model as Error).message).toContain('gpt-4o');
  await expect(aegis.guard(request(cheap.key, { model: { provider: 'openai', model: 'gpt-3.5-turbo' } }), agent)).resolves.toBeDefined();
});

test('cost-weighted rate limit: estimated tokens drain the bucket, and the refusal says when to retry', async () => {
  const weighted = createAegis({
    urls: platform.urls, apiKey: platform.serviceKey, timeoutMs: TEST_TIMEOUT_MS,
    guard: { rateLimit: { tier: 'none', limits: [{ name: 'llm_tokens_per_hour', quota: 2500n, window: { seconds: 3600n } }], cost: 'estimated_tokens' } },
  });
  try {
    const user = await platform.user(['agent_runner'], RateLimitTier.PRO);
    const big = request(user.key, { input: 'summarise', promptTokens: 10, maxOutputTokens: 1000 });
    await weighted.guard(big, agent);
    await weighted.guard(big, agent);
    const limited = await refusal(weighted.guard(big, agent)) as RateLimitedError;
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect(limited.reason).toBe('rate_limit');
    // 1010 tokens wanted, about 480 left, 2500 per hour: about 13 minutes (refill while the
    // test runs is negligible at 0.7 tokens a second).
    expect(limited.retryAfterMs).toBeGreaterThan(5 * 60_000);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(3_600_000);
    expect(limited.headers?.rateLimit).toContain('llm_tokens_per_hour');
    expect(limited.toConnectError().code).toBe(Code.ResourceExhausted);
    // A small request still fits.
    await expect(weighted.guard({ ...big, maxOutputTokens: 100 }, agent)).resolves.toBeDefined();
  } finally {
    await weighted.close();
  }
});

test('the tier limit (per request): a FREE key gets its 10 a minute, then a refusal with a retry time', async () => {
  const user = await platform.user(['agent_runner'], RateLimitTier.FREE);
  const small = request(user.key, { input: 'hi', promptTokens: 1, maxOutputTokens: 1 });
  // 10 a minute, refilling one every 6 s: on a slow machine a few more may get through, so
  // call until refused (bounded) instead of counting on the eleventh.
  let admitted = 0;
  let limited: unknown;
  while (limited === undefined && admitted < 30) {
    limited = await aegis.guard(small, agent).then(() => {
      admitted++;
      return undefined;
    }, (err: unknown) => err);
  }
  expect(admitted).toBeGreaterThanOrEqual(10);
  expect(limited).toMatchObject({ kind: 'rate_limited', reason: 'rate_limit' });
  expect((limited as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
});

test('one execution at a time for a role with max_concurrent_executions 1: the second waits its turn, the lease is freed after a run and after a throw', async () => {
  await platform.admin.policy.roles.createRole({ tenantId: platform.tenantId, role: { name: 'single_runner', permissions: ['agent:execute'], modelAccess: ['*'], resourceLimits: { maxConcurrentExecutions: 1n } } });
  const user = await platform.user(['single_runner'], RateLimitTier.ENTERPRISE);
  let finish: () => void = () => {};
  const running = new Promise<void>((resolve) => (finish = resolve));
  let started: () => void = () => {};
  const isRunning = new Promise<void>((resolve) => (started = resolve));
  const first = aegis.guard(request(user.key, { input: 'long task' }), async (ctx) => {
    started();
    await running;
    return agent(ctx);
  });
  await isRunning;
  const second = await refusal(aegis.guard(request(user.key, { input: 'another' }), agent));
  expect(second).toBeInstanceOf(RateLimitedError);
  expect(second).toMatchObject({ reason: 'concurrency' });
  expect((second as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
  finish();
  await first;
  // Freed after a completed run ...
  await aegis.guard(request(user.key, { input: 'next' }), agent);
  // ... and after a run that threw.
  await refusal(aegis.guard(request(user.key, { input: 'fails' }), async () => {
    throw new Error('boom');
  }));
  await expect(aegis.guard(request(user.key, { input: 'after the failure' }), agent)).resolves.toBeDefined();
});

test('budget exceeded names the hard budget; nothing stays reserved', async () => {
  const user = await platform.user(['agent_runner']);
  const budgetId = await budgetFor(user.userId, 0.001);
  const err = await refusal(aegis.guard(request(user.key, { maxOutputTokens: 1000 }), agent));
  expect(err).toBeInstanceOf(BudgetExceededError);
  expect(err).toMatchObject({ blockingBudgetId: budgetId, httpStatus: 402 });
  expect(await reservedNanos(user.userId)).toBe(0n);
});

test('input blocked by a DLP rule: the rule is named, the agent never runs, the hold is released', async () => {
  const user = await platform.user(['agent_runner']);
  await budgetFor(user.userId, 10);
  let ran = false;
  const err = await refusal(aegis.guard(request(user.key, { input: 'status of PROJECT-4711?' }), async (ctx) => {
    ran = true;
    return agent(ctx);
  }));
  expect(err).toBeInstanceOf(DlpBlockedError);
  expect(err).toMatchObject({ rule: 'block_codenames', direction: 'input' });
  expect(ran).toBe(false);
  expect(await reservedNanos(user.userId)).toBe(0n);
});

test('run throws: the reservation is released (a late commit is refused) and the hold is given back', async () => {
  const user = await platform.user(['agent_runner']);
  await budgetFor(user.userId, 10);
  let reservationId = '';
  const err = await refusal(aegis.guard(request(user.key), async (ctx) => {
    reservationId = ctx.reservation.reservationId;
    expect(ctx.reservation.status).toBe(ReservationStatus.HELD);
    throw new Error('the model provider timed out');
  }));
  expect((err as Error).message).toBe('the model provider timed out');
  expect(await reservedNanos(user.userId)).toBe(0n);
  const late = await platform.admin.billing.reservations.commitReservation({
    tenantId: platform.tenantId, reservationId, provider: 'openai', model: 'gpt-4o', tokens: { promptTokens: 1n, completionTokens: 1n },
  }).catch((e: unknown) => ConnectError.from(e));
  expect(late).toMatchObject({ code: Code.FailedPrecondition });
});
