// guard() against in-memory fakes of the five services: the order of the steps, what run
// sees and returns, clean-up when the run fails, and service failures with their retries.
import { Code, ConnectError } from '@connectrpc/connect';
import { ReservationStatus } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import { GuardServiceError, PermissionDeniedError } from '../../src/index.js';
import { DecisionReason } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { ALLOW_DECISION, SERVICE_KEY, USER_KEY, unavailable } from './fake-aegis.js';
import { echo, refusal, request, setup } from './guard-fixtures.js';

describe('guard flow', () => {
  test('authenticates, authorizes, limits, reserves, scans, runs, scans and commits, in that order', async () => {
    const { guard, names, calls } = setup();
    let seenInput: unknown;
    const result = await guard(request(), async (ctx) => {
      seenInput = ctx.input;
      calls.push({ rpc: 'run', credential: null, message: undefined });
      return echo(ctx);
    });
    const order = names();
    const at = (rpc: string) => order.indexOf(rpc);
    expect(order[0]).toBe('VerifyApiKey');
    expect(at('Check')).toBeLessThan(at('RateLimit.Check'));
    // Billing prices the estimate when reserving: no EstimateCost round trip.
    expect(order).not.toContain('EstimateCost');
    expect(at('RateLimit.Check')).toBeLessThan(at('ReserveBudget'));
    // The hold and the input scan run together, both before the run; the output scan and the
    // commit run together, after it.
    expect(order.slice(at('RateLimit.Check') + 1, at('run')).sort()).toEqual(['ReserveBudget', 'Scan(INPUT)']);
    expect(order.slice(at('run') + 1).sort()).toEqual(['CommitReservation', 'Scan(OUTPUT)']);
    expect(order).not.toContain('ReleaseReservation');
    // The run saw the redacted input; the caller gets the redacted output.
    expect(seenInput).toBe('Summarise the ticket from <EMAIL>');
    expect(result.output).toBe('done for Summarise the ticket from <EMAIL>; reply to <EMAIL>');
    expect(result.tokens.promptTokens).toBe(12n);
    expect(result.tokens.completionTokens).toBe(30n);
    expect(result.estimated).toBe(false);
    expect(result.cost).toMatchObject({ currencyCode: 'USD', amountNanos: 42_000n });
    expect(result.usageEventId).toBe('usage-1');
    expect(result.rateLimit?.rateLimit).toContain('requests_per_minute');
    // Every call carried the platform service's own key, never the end user's.
    for (const call of calls.filter((c) => c.rpc !== 'run')) expect(call.credential).toBe(`Bearer ${SERVICE_KEY}`);
    const verify = calls.find((c) => c.rpc === 'VerifyApiKey')!.message as { key: string };
    expect(verify.key).toBe(USER_KEY);
    const check = calls.find((c) => c.rpc === 'Check')!.message as { model: string; action: string; principal: { id: string } };
    expect(check).toMatchObject({ model: 'gpt-4o', action: 'execute', principal: { id: 'key-1' } });
    const commit = calls.find((c) => c.rpc === 'CommitReservation')!.message as { reservationId: string; agentId: string; estimated: boolean };
    expect(commit).toMatchObject({ reservationId: 'res-1', agentId: 'support-bot', estimated: false });
    // The execution record carries tokens, cost and PII types, never values.
    expect(result.execution.execution?.tokens?.completionTokens).toBe(30n);
    expect(result.execution.data?.pii.map((p) => [p.type, p.count])).toEqual([['email', 2n]]);
    expect(JSON.stringify(result.execution, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).not.toContain('jane@example.com');
  });

  test('reserves the estimate: prompt tokens counted by billing, completion tokens as expected, cost-weighted rate limit', async () => {
    const { guard, calls } = setup({}, { rateLimit: { tier: 'none', limitSet: 'llm_tokens', cost: 'estimated_tokens' } });
    await guard(request({ input: 'x'.repeat(40), maxOutputTokens: 90 }), echo);
    const rate = calls.find((c) => c.rpc === 'RateLimit.Check')!.message as { cost: bigint; selector: { limitSet: string; tier: number } };
    expect(rate.cost).toBe(100n); // 10 prompt tokens (fake tokenizer: 4 chars each) + 90
    expect(rate.selector).toMatchObject({ limitSet: 'llm_tokens', tier: 0 });
    const reserve = calls.find((c) => c.rpc === 'ReserveBudget')!.message as { estimatedTokens: bigint; estimatedCost: unknown; userId: string; apiKeyId: string };
    expect(reserve).toMatchObject({
      estimatedTokens: 100n, userId: 'user-1', apiKeyId: 'key-1',
      estimatedUsage: { provider: 'openai', model: 'gpt-4o', tokens: { promptTokens: 10n, completionTokens: 90n } },
    });
    expect(reserve.estimatedCost).toBeUndefined();
  });

  test('with promptTokens given, nothing is estimated by RPC; the result falls back to the held estimate only without a commit cost', async () => {
    const { guard, names } = setup();
    const result = await guard(request({ promptTokens: 12 }), echo);
    expect(names()).not.toContain('EstimateTokens');
    expect(names()).not.toContain('EstimateCost');
    expect(result.cost).toMatchObject({ amountNanos: 42_000n });
  });

  test('a billing that does not price estimated_usage (older than the SDK) holds nothing: refused, the hold released, nothing run', async () => {
    const { guard, names } = setup({ reserve: { allowed: true, reservation: { reservationId: 'res-9', status: ReservationStatus.HELD }, estimatedCost: undefined } });
    let ran = false;
    const err = await refusal(guard(request(), async (ctx) => {
      ran = true;
      return echo(ctx);
    }));
    expect(err).toMatchObject({ step: 'reserve', code: Code.FailedPrecondition });
    expect(ran).toBe(false);
    expect(names()).toContain('ReleaseReservation');
  });

  test('a run that reports no usage is billed with counted output tokens, flagged estimated', async () => {
    const { guard, calls } = setup();
    const result = await guard(request({ promptTokens: 7 }), async () => ({ output: 'y'.repeat(80) }));
    // Prompt tokens were given: the tokenizer counted only the output.
    const counted = calls.filter((c) => c.rpc === 'EstimateTokens').map((c) => (c.message as { text: string }).text);
    expect(counted).toEqual(['y'.repeat(80)]);
    expect(result.estimated).toBe(true);
    expect(result.tokens).toMatchObject({ promptTokens: 7n, completionTokens: 20n });
    expect((calls.find((c) => c.rpc === 'CommitReservation')!.message as { estimated: boolean }).estimated).toBe(true);
  });

  test('if billing cannot count the output tokens, the reserved estimate is booked rather than nothing', async () => {
    const { guard, calls } = setup({ failures: { EstimateTokens: [new ConnectError('tokenizer missing', Code.Internal)] } });
    const result = await guard(request({ promptTokens: 7, maxOutputTokens: 64 }), async () => ({ output: 'z'.repeat(40) }));
    expect(result).toMatchObject({ estimated: true, tokens: { promptTokens: 7n, completionTokens: 64n } });
    expect(calls.find((c) => c.rpc === 'EstimateTokens')!.message).toMatchObject({ tenantId: 'acme' });
  });

  test('an access token is introspected, not verified as a key; a principal without a tier falls back to FREE', async () => {
    const { guard, names, calls } = setup();
    const jwt = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2ln';
    await guard(request({ credential: `Bearer ${jwt}` }), echo);
    expect(names()[0]).toBe('IntrospectToken');
    expect(names()).not.toContain('VerifyApiKey');
    expect((calls.find((c) => c.rpc === 'RateLimit.Check')!.message as { selector: { tier: number } }).selector.tier).toBe(1);
  });
});

describe('clean-up', () => {
  test('run throws: the reservation is released, the lease freed, and the run\'s own error comes back', async () => {
    const { guard, names, calls } = setup({ check: { decision: { ...ALLOW_DECISION, obligations: { allowedModels: ['*'], resourceLimits: { maxConcurrentExecutions: 3n } } } } });
    const boom = new Error('model provider timed out');
    const err = await refusal(guard(request(), async () => {
      throw boom;
    }));
    expect(err).toBe(boom);
    expect(names()).toContain('ReleaseReservation');
    expect(names()).toContain('ReleaseLease');
    expect(names()).not.toContain('CommitReservation');
    expect(calls.find((c) => c.rpc === 'ReleaseLease')!.message).toMatchObject({ leaseId: 'lease-1', key: 'executions:user-1' });
  });

  test('a run that reports invalid counts is the run\'s error: the hold is released, nothing committed', async () => {
    const { guard, names } = setup();
    const err = await refusal(guard(request(), async () => ({ output: 'done', usage: { promptTokens: -1, completionTokens: 2 } })));
    expect(err).toBeInstanceOf(TypeError);
    expect(names()).toContain('ReleaseReservation');
    expect(names()).not.toContain('CommitReservation');
  });

  test('the run is cancelled with the request signal', async () => {
    const { guard, names } = setup();
    const cancel = new AbortController();
    const err = await refusal(guard(request({ signal: cancel.signal }), (ctx) => new Promise((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => reject(new Error('cancelled')));
      cancel.abort();
    })));
    expect((err as Error).message).toBe('cancelled');
    expect(names()).toContain('ReleaseReservation');
  });

  test('the role\'s max_execution_time aborts the run', async () => {
    const { guard } = setup({ check: { decision: { ...ALLOW_DECISION, obligations: { allowedModels: ['*'], resourceLimits: { maxExecutionTime: { seconds: 0n, nanos: 20_000_000 } } } } } });
    const err = await refusal(guard(request(), (ctx) => new Promise((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => reject(new Error('execution time exceeded')));
    })));
    expect((err as Error).message).toBe('execution time exceeded');
  });
});

describe('service failures and retries', () => {
  test('Unavailable on an idempotent call is retried; the guard goes through', async () => {
    const { guard, names } = setup({ failures: { ReserveBudget: [unavailable(), unavailable()], CommitReservation: [unavailable()] } });
    await guard(request(), echo);
    expect(names().filter((n) => n === 'ReserveBudget')).toHaveLength(3);
    expect(names().filter((n) => n === 'CommitReservation')).toHaveLength(2);
  });

  test('the rate-limit Check is never retried (a repeat would take the cost twice): the guard fails closed', async () => {
    const { guard, names } = setup({ failures: { 'RateLimit.Check': [unavailable('redis down')] } });
    const err = await refusal(guard(request(), echo)) as GuardServiceError;
    expect(err).toBeInstanceOf(GuardServiceError);
    expect(err).toMatchObject({ step: 'rate_limit', code: Code.Unavailable, httpStatus: 503 });
    expect(names().filter((n) => n === 'RateLimit.Check')).toHaveLength(1);
  });

  test('retries are bounded', async () => {
    const { guard, names } = setup({ failures: { Check: [unavailable(), unavailable(), unavailable(), unavailable()] } });
    const err = await refusal(guard(request(), echo));
    expect(err).toMatchObject({ step: 'authorize', code: Code.Unavailable });
    expect(names().filter((n) => n === 'Check')).toHaveLength(3);
  });

  test('an unknown model is a service error of the estimate (400), reported only once the decision allowed', async () => {
    const { guard } = setup();
    const err = await refusal(guard(request({ model: { provider: 'openai', model: 'unknown-model' } }), echo));
    expect(err).toBeInstanceOf(GuardServiceError);
    expect(err).toMatchObject({ step: 'estimate', code: Code.NotFound, httpStatus: 400 });
    const denied = setup({ check: { decision: { effect: Effect.DENY, permission: 'agent:execute', reason: DecisionReason.NO_MATCH } } });
    expect(await refusal(denied.guard(request({ model: { provider: 'openai', model: 'unknown-model' } }), echo))).toBeInstanceOf(PermissionDeniedError);
  });

  test('a request id of a settled run is refused before anything runs (its usage would go unbilled)', async () => {
    const { guard, names } = setup({ reserve: { allowed: true, reservation: { reservationId: 'res-0', status: ReservationStatus.COMMITTED } } });
    let ran = false;
    const err = await refusal(guard(request({ requestId: 'req-1' }), async (ctx) => {
      ran = true;
      return echo(ctx);
    }));
    expect(err).toMatchObject({ step: 'reserve', code: Code.AlreadyExists, httpStatus: 409 });
    expect(ran).toBe(false);
    expect(names()).not.toContain('CommitReservation');
  });

  test('InvalidArgument is an answer, not retried', async () => {
    const { guard, names } = setup({ failures: { ReserveBudget: [new ConnectError('bad ttl', Code.InvalidArgument)] } });
    expect(await refusal(guard(request(), echo))).toMatchObject({ step: 'reserve', code: Code.InvalidArgument });
    expect(names().filter((n) => n === 'ReserveBudget')).toHaveLength(1);
  });
});
