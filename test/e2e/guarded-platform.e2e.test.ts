// The whole platform as a deployment runs it: auth, policy, ratelimit, pii, billing and the
// audit sink each in its own process on real Postgres, Redis and Kafka, and the agent gateway
// in another, calling them with a key of its own. Driven over HTTP through the gateway and in
// process through the SDK: the happy path, every refusal, usage reaching billing through
// Kafka, audit events on aegis.audit.v1 that verify, and a revoked key refused everywhere
// within a second.
import { randomBytes } from 'node:crypto';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { GATEWAY_PERMISSIONS } from '@aegis/agent-gateway';
import { BudgetEnforcement, BudgetPeriod, ReservationStatus } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import { UsagePeriod } from '@aegis/proto/aegis/billing/v1/usage_pb.js';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import { AuditLogService } from '@aegis/proto/aegis/events/v1/audit_log_service_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { DlpAction } from '@aegis/proto/aegis/pii/v1/dlp_pb.js';
import {
  BudgetExceededError, DlpBlockedError, PermissionDeniedError, RateLimitedError, UnauthenticatedError, createAegis, createAegisClients,
  type Aegis, type AegisClients, type GuardRequest, type RunResult,
} from '@aegis/sdk';
import { createEventBus, createLogger, decodeEvent, TOPICS, type EventBus } from '@aegis/shared';
import { parseTrustedKeys, verifyAuditLog, type AuditRecord } from '@aegis/shared/audit-integrity';
import { uniqueKafkaName } from '@aegis/shared/testing';
import { startPlatformProcesses, type PlatformProcesses } from './support/platform-processes.js';

const GPT_4O = { promptNanosPerToken: 2_500n, completionNanosPerToken: 10_000n };

let platform: PlatformProcesses;
let admin: AegisClients;
let audit: Client<typeof AuditLogService>;
let aegis: Aegis;
let gatewayUrl: string;
let bus: EventBus;
let tenantId: string;
/** What the tenant's producers put on aegis.audit.v1, in the order this consumer read it. */
const auditRecords: AuditRecord[] = [];

beforeAll(async () => {
  platform = await startPlatformProcesses();
  const { urls } = platform;
  admin = createAegisClients({ urls, apiKey: platform.adminKey });
  audit = auditClientFor(platform.adminKey);

  // The platform service: a user of the platform tenant whose only role is the guard's permissions.
  await admin.policy.roles.createRole({ tenantId: 'default', role: { name: 'agent_gateway', permissions: [...GATEWAY_PERMISSIONS] } });
  const { user: serviceUser } = await admin.auth.users.createUser({ tenantId: 'default', email: 'agent-gateway@platform.test', roles: ['agent_gateway'] });
  const serviceKey = (await admin.auth.apiKeys.createApiKey({ tenantId: 'default', userId: serviceUser!.userId, name: 'agent-gateway' })).secret;

  tenantId = `e2e-${randomBytes(4).toString('hex')}`;
  // Read the audit topic from before the tenant exists, so its chains are read from their start.
  bus = await createEventBus({ kafkaBrokers: platform.brokers, clientId: 'e2e-audit-reader', dataDir: platform.dataDir, logger: createLogger({ service: 'e2e', level: 'warn' }) });
  await bus.subscribe({
    groupId: uniqueKafkaName('e2e-audit-reader'),
    topics: [TOPICS.audit],
    fromBeginning: true,
    async handleBatch(events) {
      for (const e of events) {
        if (e.key !== tenantId) continue;
        const position = `${e.topic}/${e.partition}@${e.offset}`;
        try {
          auditRecords.push({ event: decodeEvent(e.value), position });
        } catch (err) {
          auditRecords.push({ error: (err as Error).message, position });
        }
      }
    },
  });

  await admin.auth.tenants.createTenant({ tenantId, displayName: 'E2E tenant', adminEmail: `admin@${tenantId}.test` });
  await admin.policy.roles.createRole({ tenantId, role: { name: 'agent_runner', permissions: ['agent:execute'], modelAccess: ['gpt-4o', 'gpt-3.5-turbo'] } });
  await admin.policy.roles.createRole({ tenantId, role: { name: 'cheap_runner', permissions: ['agent:execute'], modelAccess: ['gpt-3.5-turbo'] } });
  await admin.pii.dlp.createDlpRule({ tenantId, rule: { name: 'redact_email', match: { case: 'piiType', value: 'email' }, action: DlpAction.REDACT, enabled: true } });
  await admin.pii.dlp.createDlpRule({ tenantId, rule: { name: 'block_codenames', match: { case: 'pattern', value: 'PROJECT-[0-9]{4}' }, action: DlpAction.BLOCK, alert: true, enabled: true } });

  gatewayUrl = await platform.startGateway(serviceKey);
  aegis = createAegis({ urls: { auth: urls.auth, policy: urls.policy, ratelimit: urls.ratelimit, pii: urls.pii, billing: urls.billing }, apiKey: serviceKey });
}, 300_000);

afterAll(async () => {
  await aegis?.close();
  await admin?.close();
  await bus?.close();
  if (platform !== undefined) {
    const codes = await platform.stop();
    // Every process drained and exited cleanly on SIGTERM; the output of one that did not says why.
    const unclean = Object.entries(codes).filter(([, code]) => code !== 0)
      .map(([name, code]) => {
        const child = platform.processes.get(name);
        return `${name} exited ${code}:\n${child?.stdout().split('\n').slice(-8).join('\n')}\nstderr:\n${child?.stderr().slice(-3000)}`;
      });
    expect(unclean).toEqual([]);
  }
}, 120_000);

/** The audit sink is not one of the SDK's five services: a Connect client of its own. */
function auditClientFor(key: string): Client<typeof AuditLogService> {
  return createClient(AuditLogService, createConnectTransport({
    baseUrl: platform.urls.audit,
    httpVersion: '1.1',
    interceptors: [(next) => (req) => {
      req.header.set('authorization', `Bearer ${key}`);
      return next(req);
    }],
  }));
}

async function user(roles: string[], tier?: RateLimitTier): Promise<{ userId: string; key: string; keyId: string }> {
  const { user: created } = await admin.auth.users.createUser({ tenantId, email: `u-${randomBytes(4).toString('hex')}@${tenantId}.test`, roles });
  const key = await admin.auth.apiKeys.createApiKey({ tenantId, userId: created!.userId, name: 'e2e', ...(tier !== undefined ? { tier } : {}) });
  return { userId: created!.userId, key: key.secret, keyId: key.apiKey!.keyId };
}

interface GatewayAnswer {
  status: number;
  headers: Headers;
  body: { output?: string; usage?: { promptTokens: number; completionTokens: number }; cost?: { amountNanos: string }; error?: Record<string, unknown> };
}

async function execute(key: string | undefined, body: Record<string, unknown>, agent = 'support-bot'): Promise<GatewayAnswer> {
  const res = await fetch(`${gatewayUrl}/agents/${agent}/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key !== undefined ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as GatewayAnswer['body'] };
}

function sdkRequest(key: string | undefined, overrides: Partial<GuardRequest> = {}): GuardRequest {
  return {
    credential: key === undefined ? undefined : `Bearer ${key}`,
    action: 'execute',
    resource: { kind: 'agent', id: 'sdk-bot' },
    model: { provider: 'openai', model: 'gpt-4o' },
    input: 'Draft a reply to jane.doe@example.com about her refund',
    maxOutputTokens: 200,
    ...overrides,
  };
}

const sdkAgent = async (): Promise<RunResult> => ({ output: 'Reply drafted; copy to ops.lead@example.org', usage: { promptTokens: 120, completionTokens: 80 } });

async function refusal(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => { throw new Error('expected a refusal, the guard let the request through'); }, (err: unknown) => err);
}

async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function reservedNanos(userId: string): Promise<bigint> {
  const { statuses } = await admin.billing.budgets.getRemainingBudget({ tenantId, userId });
  return statuses.reduce((sum, s) => sum + (s.reserved?.amountNanos ?? 0n), 0n);
}

async function budgetFor(userId: string, nanos: bigint): Promise<string> {
  const { budget } = await admin.billing.budgets.createBudget({
    tenantId, budget: { name: `b-${userId.slice(-8)}`, userId, amountLimit: { currencyCode: 'USD', amountNanos: nanos }, period: BudgetPeriod.MONTH, enforcement: BudgetEnforcement.HARD },
  });
  return budget!.budgetId;
}

const tokensOf = (text: string) => BigInt(Math.ceil(text.length / 4));

describe('all services as separate processes, the gateway and the SDK', () => {
  test('happy path: PII redacted both ways, exact tokens and cost, booked by billing from Kafka', async () => {
    const runner = await user(['agent_runner'], RateLimitTier.PRO);
    const input = 'Summarise the refund for jane.doe@example.com and tell me who to contact';
    const viaGateway = await execute(runner.key, { input, max_tokens: 200 });
    if (viaGateway.status !== 200) {
      throw new Error(`the gateway answered ${viaGateway.status} ${JSON.stringify(viaGateway.body)}\n${platform.processes.get('gateway')!.stdout().slice(-4000)}`);
    }
    // The stand-in saw the redacted input, and its own contact address was redacted on the way out.
    const redactedInput = input.replace('jane.doe@example.com', '***REDACTED***');
    const expectedOutput = `[gpt-4o] You asked (11 words): "${redactedInput}". For follow-up, contact ***REDACTED***.`;
    expect(viaGateway.body.output).toBe(expectedOutput);
    const gatewayPrompt = tokensOf(redactedInput);
    const gatewayCompletion = tokensOf(`[gpt-4o] You asked (11 words): "${redactedInput}". For follow-up, contact ops.lead@example.org.`);
    expect(viaGateway.body.usage).toMatchObject({ promptTokens: Number(gatewayPrompt), completionTokens: Number(gatewayCompletion) });
    const gatewayCost = gatewayPrompt * GPT_4O.promptNanosPerToken + gatewayCompletion * GPT_4O.completionNanosPerToken;
    expect(viaGateway.body.cost).toMatchObject({ currencyCode: 'USD', amountNanos: gatewayCost.toString() });
    expect(viaGateway.headers.get('ratelimit-policy')).toContain('requests_per_minute');

    let seen = '';
    const viaSdk = await aegis.guard(sdkRequest(runner.key), async (ctx) => {
      seen = ctx.input as string;
      return sdkAgent();
    });
    expect(seen).toBe('Draft a reply to ***REDACTED*** about her refund');
    expect(viaSdk.output).toBe('Reply drafted; copy to ***REDACTED***');
    expect(viaSdk.reservation.status).toBe(ReservationStatus.COMMITTED);
    const sdkCost = 120n * GPT_4O.promptNanosPerToken + 80n * GPT_4O.completionNanosPerToken;
    expect(viaSdk.cost).toMatchObject({ currencyCode: 'USD', amountNanos: sdkCost });

    // Both runs reach billing's ledger through aegis.usage.v1, to the token and the nanodollar.
    const usage = await eventually('both runs to be booked', async () => {
      const res = await admin.billing.usage.getUsage({ tenantId, userId: runner.userId, window: { case: 'period', value: UsagePeriod.DAY } });
      return res.totals?.requestCount === 2n ? res : undefined;
    });
    expect(usage.totals?.tokens).toMatchObject({ promptTokens: gatewayPrompt + 120n, completionTokens: gatewayCompletion + 80n });
    expect(usage.totals?.cost).toMatchObject({ currencyCode: 'USD', amountNanos: gatewayCost + sdkCost });
  });

  test('no key, a wrong key, a malformed request: 401, 401, 400, and nothing runs', async () => {
    const missing = await execute(undefined, { input: 'hello' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(missing.body.error).toMatchObject({ code: 'unauthenticated', reason: 'missing' });
    const wrong = await execute('genxai_live_0000000000000000000000000000000000000000', { input: 'hello' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatchObject({ code: 'unauthenticated', reason: 'invalid' });
    const runner = await user(['agent_runner']);
    const malformed = await execute(runner.key, { input: '', max_tokens: -1 });
    expect(malformed.status).toBe(400);
    expect(String(malformed.body.error?.['message'])).toContain('input');

    expect(await refusal(aegis.guard(sdkRequest(undefined), sdkAgent))).toMatchObject({ constructor: UnauthenticatedError, reason: 'missing' });
    expect(await refusal(aegis.guard(sdkRequest('genxai_live_0000000000000000000000000000000000000000'), sdkAgent))).toMatchObject({ constructor: UnauthenticatedError, reason: 'invalid' });
  });

  test('permission denied (no agent:execute) and a model outside the role: 403 with the reason', async () => {
    const viewer = await user(['viewer']);
    const denied = await execute(viewer.key, { input: 'hello' });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({ code: 'permission_denied', reason: 'no_match', permission: 'agent:execute' });
    const cheap = await user(['cheap_runner']);
    const model = await execute(cheap.key, { input: 'hello', model: 'gpt-4o' });
    expect(model.status).toBe(403);
    expect(model.body.error).toMatchObject({ code: 'permission_denied', reason: 'model_not_allowed', model: 'gpt-4o' });
    expect((await execute(cheap.key, { input: 'hello', model: 'gpt-3.5-turbo' })).status).toBe(200);

    expect(await refusal(aegis.guard(sdkRequest(viewer.key), sdkAgent))).toMatchObject({ constructor: PermissionDeniedError, reason: 'no_match' });
    expect(await refusal(aegis.guard(sdkRequest(cheap.key), sdkAgent))).toMatchObject({ constructor: PermissionDeniedError, reason: 'model_not_allowed' });
  });

  test('rate limited: 429 with Retry-After once the FREE tier\'s minute is used up', async () => {
    const free = await user(['agent_runner'], RateLimitTier.FREE);
    // How many fit depends on how fast the calls go (the bucket refills): call until refused.
    let limited: GatewayAnswer | undefined;
    let allowed = 0;
    for (let i = 0; i < 30 && limited === undefined; i++) {
      const answer = await execute(free.key, { input: 'ping', max_tokens: 10 });
      if (answer.status === 429) limited = answer;
      else {
        expect(answer.status).toBe(200);
        allowed++;
      }
    }
    expect(limited).toBeDefined();
    expect(allowed).toBeGreaterThanOrEqual(10);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited!.headers.get('ratelimit')).toContain('requests_per_minute');
    expect(limited!.body.error).toMatchObject({ code: 'rate_limited', reason: 'rate_limit' });
    const viaSdk = await refusal(aegis.guard(sdkRequest(free.key, { maxOutputTokens: 10 }), sdkAgent));
    expect(viaSdk).toBeInstanceOf(RateLimitedError);
    expect((viaSdk as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
  });

  test('budget exceeded: 402 naming the budget, and nothing stays reserved', async () => {
    const runner = await user(['agent_runner']);
    const budgetId = await budgetFor(runner.userId, 1_000_000n);
    const answer = await execute(runner.key, { input: 'Write a long essay about refunds', max_tokens: 1000 });
    expect(answer.status).toBe(402);
    expect(answer.body.error).toMatchObject({ code: 'budget_exceeded', budgetId });
    const viaSdk = await refusal(aegis.guard(sdkRequest(runner.key, { maxOutputTokens: 1000 }), sdkAgent));
    expect(viaSdk).toBeInstanceOf(BudgetExceededError);
    expect(viaSdk).toMatchObject({ blockingBudgetId: budgetId });
    expect(await reservedNanos(runner.userId)).toBe(0n);
  });

  test('DLP blocked: 422 naming the rule, the agent never runs, the hold is released', async () => {
    const runner = await user(['agent_runner']);
    await budgetFor(runner.userId, 10_000_000_000n);
    const answer = await execute(runner.key, { input: 'status of PROJECT-4711?' });
    expect(answer.status).toBe(422);
    expect(answer.body.error).toMatchObject({ code: 'dlp_blocked', rule: 'block_codenames', direction: 'input' });
    let ran = false;
    const viaSdk = await refusal(aegis.guard(sdkRequest(runner.key, { input: 'status of PROJECT-4711?' }), async () => {
      ran = true;
      return sdkAgent();
    }));
    expect(viaSdk).toBeInstanceOf(DlpBlockedError);
    expect(viaSdk).toMatchObject({ rule: 'block_codenames', direction: 'input' });
    expect(ran).toBe(false);
    expect(await reservedNanos(runner.userId)).toBe(0n);
  });

  test('the run throws: the reservation is released (a late commit is refused) and the gateway answers 502', async () => {
    const runner = await user(['agent_runner']);
    await budgetFor(runner.userId, 10_000_000_000n);
    const failed = await execute(runner.key, { input: 'hello', simulate: 'model_error' });
    expect(failed.status).toBe(502);
    expect(failed.body.error).toMatchObject({ code: 'model_unavailable' });
    expect(await reservedNanos(runner.userId)).toBe(0n);

    let reservationId = '';
    const thrown = await refusal(aegis.guard(sdkRequest(runner.key), async (ctx) => {
      reservationId = ctx.reservation.reservationId;
      expect(await reservedNanos(runner.userId)).toBeGreaterThan(0n);
      throw new Error('the model provider timed out');
    }));
    expect((thrown as Error).message).toBe('the model provider timed out');
    expect(await reservedNanos(runner.userId)).toBe(0n);
    const late = await admin.billing.reservations.commitReservation({
      tenantId, reservationId, provider: 'openai', model: 'gpt-4o', tokens: { promptTokens: 1n, completionTokens: 1n },
    }).then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(late?.code).toBe(Code.FailedPrecondition);
  });

  test('audit events of every producer arrive on aegis.audit.v1 and verify; the sink stores and verifies them too', async () => {
    const keys = parseTrustedKeys(platform.auditPublicKey);
    // Checkpoints are signed every second: wait until every chain of the tenant is covered by one.
    const report = await eventually('signed, intact audit chains for the tenant', async () => {
      const r = verifyAuditLog(auditRecords, keys, { fromChainStart: true });
      return r.ok && r.unverifiedTail === 0 && r.chains.some((c) => c.producerId.startsWith('agent-gateway/')) ? r : undefined;
    }, 60_000);
    expect(report.issues).toEqual([]);
    expect(report.checkpoints).toBeGreaterThan(0);
    const events = auditRecords.flatMap((r) => ('event' in r ? [r.event] : [])) as Event[];
    const sources = new Set(events.map((e) => e.source));
    for (const source of ['auth', 'policy', 'pii', 'billing', 'agent-gateway']) expect(sources).toContain(source);
    const executions = events.filter((e) => e.action === 'agent.execution');
    expect(executions.length).toBeGreaterThanOrEqual(3);
    expect(events.some((e) => e.action === 'dlp.blocked')).toBe(true);

    const stored = await eventually('the sink to store the gateway\'s records', async () => {
      const res = await audit.queryAuditEvents({ tenantId, filter: { actions: ['agent.execution'] }, pageSize: 100 });
      return res.events.length === executions.length ? res : undefined;
    });
    expect(stored.events.map((e) => e.id).sort()).toEqual(executions.map((e) => e.id).sort());
    const verified = await audit.verifyAuditChain({ tenantId });
    expect(verified.intact).toBe(true);
    expect(verified.chains.map((c) => c.producerId.split('/')[0])).toEqual(expect.arrayContaining(['auth', 'pii', 'agent-gateway']));
  }, 90_000);

  test('a revoked key is refused by the gateway and by every service within 1 s of the revocation', async () => {
    const tenantAdmin = await user(['admin'], RateLimitTier.PRO);
    const clients = createAegisClients({ urls: platform.urls, apiKey: tenantAdmin.key, retry: { maxAttempts: 1 } });
    const auditClient = auditClientFor(tenantAdmin.key);
    // One authenticated call per process; Unauthenticated is the only answer that counts as refused.
    const targets: Record<string, () => Promise<'refused' | 'accepted'>> = {
      gateway: async () => ((await execute(tenantAdmin.key, { input: 'ping', max_tokens: 5 })).status === 401 ? 'refused' : 'accepted'),
      auth: () => outcome(clients.auth.users.listUsers({ tenantId, pageSize: 1 })),
      policy: () => outcome(clients.policy.roles.listRoles({ tenantId })),
      ratelimit: () => outcome(clients.ratelimit.config.listLimitSets({ tenantId })),
      pii: () => outcome(clients.pii.pii.detect({ tenantId, content: { kind: { case: 'text', value: 'hi' } } })),
      billing: () => outcome(clients.billing.budgets.listBudgets({ tenantId })),
      audit: () => outcome(auditClient.queryAuditEvents({ tenantId, pageSize: 1 })),
    };
    try {
      // Warm: every process has verified (and cached) the key before it is revoked.
      for (const [name, call] of Object.entries(targets)) expect([name, await call()]).toEqual([name, 'accepted']);

      await admin.auth.apiKeys.revokeApiKey({ tenantId, keyId: tenantAdmin.keyId, reason: 'e2e: leaked' });
      const revokedAt = performance.now();
      const observed = await Promise.all(Object.entries(targets).map(async ([name, call]) => {
        // Polled well past the bound, so a slow refusal is measured rather than timed out.
        while (performance.now() - revokedAt < 5_000) {
          if (await call() === 'refused') return [name, performance.now() - revokedAt] as const;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        return [name, Number.POSITIVE_INFINITY] as const;
      }));
      const late = observed.filter(([, ms]) => ms > 1_000).map(([name, ms]) => `${name}: ${Number.isFinite(ms) ? `${Math.round(ms)} ms` : 'never'}`);
      expect(late).toEqual([]);
      const gatewayAnswer = await execute(tenantAdmin.key, { input: 'ping' });
      expect(gatewayAnswer.body.error).toMatchObject({ code: 'unauthenticated', reason: 'revoked' });
    } finally {
      await clients.close();
    }
  });
});

async function outcome(call: Promise<unknown>): Promise<'refused' | 'accepted'> {
  try {
    await call;
    return 'accepted';
  } catch (err) {
    const code = ConnectError.from(err).code;
    if (code === Code.Unauthenticated) return 'refused';
    throw err;
  }
}
