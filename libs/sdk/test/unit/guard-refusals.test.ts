// Each refusal of guard() as the caller sees it: its class, reason, HTTP status and Connect
// code, and what did not happen after it (nothing reserved, nothing run, the hold released).
import { Code } from '@connectrpc/connect';
import { RetryInfoSchema } from '@aegis/proto/aegis/common/v1/error_details_pb.js';
import { DecisionReason } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { BudgetExceededError, DlpBlockedError, PermissionDeniedError, RateLimitedError, UnauthenticatedError } from '../../src/index.js';
import { ALLOW_DECISION, USER_KEY } from './fake-aegis.js';
import { echo, refusal, request, setup } from './guard-fixtures.js';

describe('refusals', () => {
  test('no credential: Unauthenticated without any call', async () => {
    const { guard, calls } = setup();
    const err = await refusal(guard(request({ credential: undefined }), echo));
    expect(err).toBeInstanceOf(UnauthenticatedError);
    expect(err).toMatchObject({ reason: 'missing', httpStatus: 401 });
    expect(calls).toHaveLength(0);
  });

  test.each([
    [3, 'invalid'], [4, 'revoked'], [5, 'expired'], [6, 'disabled'], [7, 'owner_disabled'],
  ])('VerifyApiKey reason %i is Unauthenticated %s, and nothing else is called', async (reason, expected) => {
    const { guard, names } = setup({ verifyApiKey: { valid: false, reason, keyId: 'k' } });
    const err = await refusal(guard(request(), echo));
    expect(err).toBeInstanceOf(UnauthenticatedError);
    expect((err as UnauthenticatedError).reason).toBe(expected);
    expect((err as Error).message).not.toContain(USER_KEY);
    expect(names()).toEqual(['VerifyApiKey']);
  });

  test('a throttled source is told when to retry', async () => {
    const { guard } = setup({ verifyApiKey: { valid: false, reason: 8, retryAfter: { seconds: 30n, nanos: 0 } } });
    const err = await refusal(guard(request(), echo)) as UnauthenticatedError;
    expect(err).toMatchObject({ reason: 'throttled', retryAfterMs: 30_000 });
  });

  test('a denial is PermissionDenied with the explanation; nothing is reserved', async () => {
    const { guard, names } = setup({ check: { decision: { effect: Effect.DENY, permission: 'agent:execute', reason: DecisionReason.NO_MATCH, explanation: 'denied: no role grants agent:execute' } } });
    const err = await refusal(guard(request(), echo)) as PermissionDeniedError;
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err).toMatchObject({ reason: 'no_match', permission: 'agent:execute', message: 'denied: no role grants agent:execute', httpStatus: 403 });
    expect(names()).not.toContain('RateLimit.Check');
    expect(names()).not.toContain('ReserveBudget');
    expect(err.toConnectError().code).toBe(Code.PermissionDenied);
  });

  test('a model outside the principal\'s model access is model_not_allowed, from policy or from the obligations', async () => {
    const fromPolicy = setup({ check: { decision: { effect: Effect.DENY, permission: 'agent:execute', reason: DecisionReason.MODEL_NOT_ALLOWED, explanation: 'denied: model gpt-4o is not in the model access of operator' } } });
    expect(await refusal(fromPolicy.guard(request(), echo))).toMatchObject({ reason: 'model_not_allowed', model: 'gpt-4o' });
    const fromObligations = setup({ check: { decision: { ...ALLOW_DECISION, obligations: { allowedModels: ['gpt-3.5-turbo'] } } } });
    expect(await refusal(fromObligations.guard(request(), echo))).toMatchObject({ reason: 'model_not_allowed', model: 'gpt-4o' });
  });

  test('more tokens than the role allows per request is refused before the rate limit', async () => {
    const { guard, names } = setup({ check: { decision: { ...ALLOW_DECISION, obligations: { allowedModels: ['*'], resourceLimits: { maxTokensPerRequest: 50n } } } } });
    const err = await refusal(guard(request({ maxOutputTokens: 100 }), echo));
    expect(err).toMatchObject({ kind: 'permission_denied', reason: 'max_tokens_per_request' });
    expect(names()).not.toContain('RateLimit.Check');
  });

  test('rate limited: ResourceExhausted with the retry time, headers and RetryInfo', async () => {
    const { guard, names } = setup({ rateLimit: { allowed: false, retryAfter: { seconds: 1n, nanos: 500_000_000 }, headers: { rateLimit: '"requests_per_minute";r=0;t=2', retryAfterSeconds: 2n } } });
    const err = await refusal(guard(request(), echo)) as RateLimitedError;
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err).toMatchObject({ reason: 'rate_limit', retryAfterMs: 1500, httpStatus: 429 });
    expect(err.headers?.rateLimit).toContain('r=0');
    const connect = err.toConnectError();
    expect(connect.code).toBe(Code.ResourceExhausted);
    expect(connect.metadata.get('retry-after')).toBe('2');
    expect(connect.findDetails(RetryInfoSchema)[0]?.retryDelay?.seconds).toBe(1n);
    expect(names()).not.toContain('ReserveBudget');
  });

  test('budget exceeded names the blocking budget; the slot is freed', async () => {
    const { guard, names } = setup({
      check: { decision: { ...ALLOW_DECISION, obligations: { allowedModels: ['*'], resourceLimits: { maxConcurrentExecutions: 2n } } } },
      reserve: { allowed: false, blockingBudgetId: 'b-1', statuses: [{ budgetId: 'b-1', name: 'monthly', exceeded: true }] },
    });
    const err = await refusal(guard(request(), echo)) as BudgetExceededError;
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toMatchObject({ blockingBudgetId: 'b-1', httpStatus: 402, message: 'budget "monthly" cannot cover this request' });
    expect(names()).toContain('ReleaseLease');
    expect(names()).not.toContain('ReleaseReservation');
  });

  test('input blocked by DLP: the rule is named, the run never starts, the reservation is released', async () => {
    const { guard, names } = setup();
    let ran = false;
    const err = await refusal(guard(request({ input: 'here is BLOCKME' }), async (ctx) => {
      ran = true;
      return echo(ctx);
    })) as DlpBlockedError;
    expect(err).toBeInstanceOf(DlpBlockedError);
    expect(err).toMatchObject({ rule: 'no_secrets', direction: 'input', httpStatus: 422 });
    expect(ran).toBe(false);
    expect(names()).toContain('ReleaseReservation');
    expect(names()).not.toContain('CommitReservation');
  });

  test('budget and DLP both refusing: the budget refusal comes first (step order), nothing to release', async () => {
    const { guard, names } = setup({ reserve: { allowed: false, blockingBudgetId: 'b-2', statuses: [] } });
    const err = await refusal(guard(request({ input: 'BLOCKME' }), echo));
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(names()).not.toContain('ReleaseReservation');
  });

  test('output blocked by DLP: the usage is still committed (the model ran), nothing released', async () => {
    const { guard, names } = setup();
    const err = await refusal(guard(request(), async () => ({ output: 'the secret is BLOCKME', usage: { promptTokens: 5, completionTokens: 5 } })));
    expect(err).toMatchObject({ kind: 'dlp_blocked', rule: 'no_secrets', direction: 'output' });
    expect(names()).toContain('CommitReservation');
    expect(names()).not.toContain('ReleaseReservation');
  });

  test('too many concurrent executions is RateLimited (concurrency) with the time until a slot frees', async () => {
    const { guard, names } = setup({
      check: { decision: { ...ALLOW_DECISION, obligations: { allowedModels: ['*'], resourceLimits: { maxConcurrentExecutions: 1n } } } },
      lease: { acquired: false, maxConcurrent: 1n, activeCount: 1n, retryAfter: { seconds: 4n, nanos: 0 } },
    });
    const err = await refusal(guard(request(), echo));
    expect(err).toMatchObject({ kind: 'rate_limited', reason: 'concurrency', retryAfterMs: 4000 });
    // The hold was asked for beside the slot: it is given back.
    expect(names()).toEqual(expect.arrayContaining(['ReserveBudget', 'ReleaseReservation']));
    expect(names()).not.toContain('CommitReservation');
  });
});
