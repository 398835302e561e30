// Budget allowances end to end: guard() with its default options (allowances on) against the
// five real services on Postgres, Redis and Kafka, RPCs counted by a client interceptor. A steady
// caller reserves and commits a handful of times for many calls and every usage is booked
// exactly once at the cost the guard returned; two instances racing on one hard budget never
// overspend it and leave nothing of it unused; a nearly spent budget refuses exactly as without
// allowances; a run that throws gives its carve back, and a first request refused or failed
// after its hold leaves nothing held; a price changed at once retires the holds quoted with the
// old one; a settle lost for good is reported, pauses the allowances and its shared hold's budget
// comes back at expiry only; a budget lowered by an admin is obeyed right after the next settle;
// an idle hold goes back; a run ending after close() is reported lost. Each test has users and
// budgets of its own (the tenant is this run's).
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { BudgetEnforcement, BudgetPeriod, type BudgetStatus } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import type { ReserveBudgetRequest, SettleUsageRequest } from '@aegis/proto/aegis/billing/v1/reservation_service_pb.js';
import { UsagePeriod } from '@aegis/proto/aegis/billing/v1/usage_pb.js';
import { DlpAction } from '@aegis/proto/aegis/pii/v1/dlp_pb.js';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import {
  BudgetExceededError, DlpBlockedError, createAegis, type Aegis, type AegisClientOptions, type GuardRequest, type GuardResult, type RunResult,
} from '../../src/index.js';
import { eventually, refusal, startPlatform, type RunningPlatform } from './platform-harness.js';

const TEST_TIMEOUT_MS = 30_000;
// gpt-4o: 2,500 nanos a prompt token, 10,000 a completion token.
const PROMPT_NANOS = 2_500n;
const COMPLETION_NANOS = 10_000n;
const costOf = (prompt: number, completion: number): bigint => BigInt(prompt) * PROMPT_NANOS + BigInt(completion) * COMPLETION_NANOS;

let platform: RunningPlatform;

beforeAll(async () => {
  platform = await startPlatform();
  await platform.admin.policy.roles.createRole({ tenantId: platform.tenantId, role: { name: 'runner', permissions: ['agent:execute'], modelAccess: ['*'] } });
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

/** An SDK instance (default guard options, allowances on unless told) recording the RPCs it sends. */
interface Instance {
  aegis: Aegis;
  /** Calls by method name; ReserveBudget split into per-request and `ReserveBudget(shared)`. */
  sent: Map<string, number>;
  settles: SettleUsageRequest[];
}

function instance(opts: Partial<AegisClientOptions> = {}, more: Interceptor[] = []): Instance {
  const sent = new Map<string, number>();
  const settles: SettleUsageRequest[] = [];
  const counting: Interceptor = (next) => (req) => {
    let name = `${req.service.typeName.split('.').at(-1)}/${req.method.name}`;
    if (req.method.name === 'ReserveBudget' && (req.message as ReserveBudgetRequest).shared) name += '(shared)';
    if (req.method.name === 'SettleUsage') settles.push(req.message as SettleUsageRequest);
    sent.set(name, (sent.get(name) ?? 0) + 1);
    return next(req);
  };
  const aegis = createAegis({ urls: platform.urls, apiKey: platform.serviceKey, timeoutMs: TEST_TIMEOUT_MS, interceptors: [counting, ...more], ...opts });
  return { aegis, sent, settles };
}

const count = (i: Instance, name: string): number => i.sent.get(name) ?? 0;

function request(key: string, promptTokens: number, maxOutputTokens: number): GuardRequest {
  return {
    credential: `Bearer ${key}`, action: 'execute', resource: { kind: 'agent', id: 'bot' },
    model: { provider: 'openai', model: 'gpt-4o' }, input: 'hi', promptTokens, maxOutputTokens,
  };
}

/** A run reporting `prompt` and `completion` tokens. */
const reporting = (prompt: number, completion: number) => async (): Promise<RunResult> => ({ output: 'ok', usage: { promptTokens: prompt, completionTokens: completion } });

/** Tier with room for every call of these tests: only the budget refuses. */
const runner = () => platform.user(['runner'], RateLimitTier.ENTERPRISE);

async function hardBudget(userId: string, limitNanos: bigint): Promise<{ budgetId: string; name: string }> {
  const name = `hard-${userId.slice(0, 8)}`;
  const { budget } = await platform.admin.billing.budgets.createBudget({
    tenantId: platform.tenantId,
    budget: { name, userId, amountLimit: { currencyCode: 'USD', amountNanos: limitNanos }, period: BudgetPeriod.MONTH, enforcement: BudgetEnforcement.HARD },
  });
  return { budgetId: budget!.budgetId, name };
}

async function statusOf(budgetId: string): Promise<BudgetStatus> {
  const { statuses } = await platform.admin.billing.budgets.getRemainingBudget({ tenantId: platform.tenantId, budgetId });
  return statuses[0]!;
}

const spentOf = (s: BudgetStatus) => s.spent?.amountNanos ?? 0n;
const reservedOf = (s: BudgetStatus) => s.reserved?.amountNanos ?? 0n;

/** The budget once nothing is held any more and the ledger has booked `spent`. */
async function settledBudget(budgetId: string, spent: bigint, timeoutMs = 30_000): Promise<BudgetStatus> {
  return eventually(async () => {
    const s = await statusOf(budgetId);
    return reservedOf(s) === 0n && spentOf(s) === spent ? s : undefined;
  }, timeoutMs, `budget ${budgetId}: nothing reserved and ${spent} spent`);
}

async function usageOf(userId: string) {
  const res = await platform.admin.billing.usage.getUsage({ tenantId: platform.tenantId, userId, window: { case: 'period', value: UsagePeriod.MONTH } });
  return { count: res.totals?.requestCount ?? 0n, nanos: res.totals?.cost?.amountNanos ?? 0n, tokens: res.totals?.tokens };
}

/** Booked usage of the user once it reaches `events` events (then checked not to grow). */
async function bookedUsage(userId: string, events: number) {
  const usage = await eventually(async () => {
    const u = await usageOf(userId);
    return u.count >= BigInt(events) ? u : undefined;
  }, 30_000, `${events} usage events of ${userId}`);
  return usage;
}

/** Calls in waves of `concurrency`, each wave's outcomes (results or refusals) in call order. */
async function waves<T>(n: number, concurrency: number, call: (i: number) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  const outcomes: PromiseSettledResult<T>[] = [];
  for (let i = 0; i < n; i += concurrency) {
    const wave = Array.from({ length: Math.min(concurrency, n - i) }, (_, j) => call(i + j));
    outcomes.push(...(await Promise.allSettled(wave)));
  }
  return outcomes;
}

test('a steady caller: a few ReserveBudget calls for 60 requests, usage settled in groups, every usage booked once at the cost the guard returned', async () => {
  const user = await runner();
  const { budgetId } = await hardBudget(user.userId, 1_000_000_000_000n);
  const sdk = instance();
  const results: GuardResult[] = [];
  const expected: bigint[] = [];
  const call = async (i: number) => {
    // Usage varies per call and stays within the estimate (150 prompt + 60 completion tokens).
    const prompt = 100 + (i % 50);
    const completion = 20 + (i % 37);
    expected[i] = costOf(prompt, completion);
    results[i] = await sdk.aegis.guard(request(user.key, 150, 60), reporting(prompt, completion));
  };
  try {
    for (let i = 0; i < 20; i++) await call(i);
    const concurrent = await waves(40, 8, (i) => call(20 + i));
    expect(concurrent.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(results.filter(Boolean)).toHaveLength(60);
  } finally {
    await sdk.aegis.close();
  }

  // Far fewer holds than calls; a per-request hold (the first call, or one that came before a
  // shared hold had room) is committed as before, everything else is settled.
  const perRequest = count(sdk, 'ReservationService/ReserveBudget');
  const shared = count(sdk, 'ReservationService/ReserveBudget(shared)');
  expect(perRequest).toBeGreaterThanOrEqual(1);
  expect(perRequest + shared).toBeLessThanOrEqual(15);
  expect(count(sdk, 'ReservationService/CommitReservation')).toBe(perRequest);
  const settledUsages = new Map(sdk.settles.flatMap((s) => s.usages.map((u) => [u.eventId, u] as const)));
  expect(settledUsages.size).toBe(60 - perRequest);
  expect(count(sdk, 'ReservationService/SettleUsage')).toBeLessThanOrEqual(settledUsages.size);

  // Each result's cost is exact (computed locally for carved runs) and confirmed by billing.
  const eventIds = new Set(results.map((r) => r.usageEventId));
  expect(eventIds.size).toBe(60);
  for (const [i, r] of results.entries()) {
    expect(r.cost).toMatchObject({ currencyCode: 'USD', amountNanos: expected[i] });
    await expect(r.settled).resolves.toMatchObject({ usageEventId: r.usageEventId, cost: { amountNanos: expected[i] } });
    const settled = settledUsages.get(r.usageEventId);
    if (settled !== undefined) {
      expect(settled.requestId).toBe(r.requestId);
      expect(settled.tokens).toMatchObject({ promptTokens: r.tokens.promptTokens, completionTokens: r.tokens.completionTokens });
    }
  }
  const total = expected.reduce((a, b) => a + b, 0n);
  const usage = await bookedUsage(user.userId, 60);
  expect(usage.count).toBe(60n);
  expect(usage.nanos).toBe(total);
  expect(usage.tokens?.promptTokens).toBe(results.reduce((sum, r) => sum + r.tokens.promptTokens, 0n));
  // Closed: the shared holds are released, and the budget holds exactly the spend.
  await settledBudget(budgetId, total);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(await usageOf(user.userId)).toMatchObject({ count: 60n, nanos: total });
}, 180_000);

/** Two instances racing `perInstance` calls each (waves of `concurrency`) against one budget. */
async function race(key: string, budgetId: string, perInstance: number, concurrency: number, run: () => () => Promise<RunResult>) {
  const sdks = [instance(), instance()];
  // Sampled throughout: holds and spend together never pass the limit.
  let peak = 0n;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const s = await statusOf(budgetId);
      if (spentOf(s) + reservedOf(s) > peak) peak = spentOf(s) + reservedOf(s);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  let outcomes: PromiseSettledResult<GuardResult>[];
  try {
    outcomes = (await Promise.all(sdks.map((sdk) => waves(perInstance, concurrency, () => sdk.aegis.guard(request(key, 100, 100), run()))))).flat();
  } finally {
    await Promise.all(sdks.map((sdk) => sdk.aegis.close()));
    sampling = false;
    await sampler;
  }
  const admitted = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
  return { sdks, admitted, refused, peak };
}

test('two instances racing on one hard budget: never overspent, refusals name the budget, and every estimate that fits is admitted', async () => {
  const user = await runner();
  const estimate = costOf(100, 100);
  const fits = 150;
  const limit = estimate * BigInt(fits);
  const { budgetId, name } = await hardBudget(user.userId, limit);
  const { sdks, admitted, refused, peak } = await race(user.key, budgetId, 100, 4, () => reporting(100, 100));

  expect(peak).toBeLessThanOrEqual(limit);
  // At most what fits, and not far fewer: leftovers are given back on a refusal and at close.
  expect(admitted.length).toBeLessThanOrEqual(fits);
  expect(admitted.length).toBeGreaterThanOrEqual(fits - 8);
  expect(refused).toHaveLength(200 - admitted.length);
  for (const err of refused) {
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toMatchObject({ blockingBudgetId: budgetId });
    expect((err as Error).message).toContain(name);
  }
  // Allowances were used by both instances (this is not the per-request path in disguise).
  for (const sdk of sdks) expect(count(sdk, 'ReservationService/ReserveBudget(shared)')).toBeGreaterThan(0);
  const spent = estimate * BigInt(admitted.length);
  const status = await settledBudget(budgetId, spent);
  expect(spentOf(status)).toBeLessThanOrEqual(limit);
  expect(await bookedUsage(user.userId, admitted.length)).toMatchObject({ count: BigInt(admitted.length), nanos: spent });
}, 240_000);

test('two instances racing with runs that use more than their estimate: the overspend is at most one estimate error per instance', async () => {
  const user = await runner();
  const estimate = costOf(100, 100);
  const error = costOf(0, 10);
  const limit = estimate * 120n;
  const { budgetId } = await hardBudget(user.userId, limit);
  // One call at a time per instance: at most two runs are in flight when the budget runs out.
  const { admitted, refused } = await race(user.key, budgetId, 80, 1, () => reporting(100, 110));
  expect(refused.length).toBeGreaterThan(0);
  for (const err of refused) expect(err).toMatchObject({ blockingBudgetId: budgetId });
  const spent = (estimate + error) * BigInt(admitted.length);
  const status = await settledBudget(budgetId, spent);
  expect(spentOf(status)).toBeLessThanOrEqual(limit + 2n * error);
  // Not far fewer than what fits at the actual cost.
  expect(BigInt(admitted.length)).toBeGreaterThanOrEqual(limit / (estimate + error) - 8n);
}, 240_000);

test('a nearly spent budget refuses exactly as without allowances', async () => {
  // The same budget and the same calls for two users: one through allowances, one per request.
  const plan = Array.from({ length: 70 }, (_, i) => [100, [60, 100, 400][i % 3]!] as const);
  const estimates = plan.reduce((sum, [p, c]) => sum + costOf(p, c), 0n);
  const limit = (estimates * 3n) / 4n;
  const outcomes = async (sdk: Instance): Promise<{ pattern: string; refusedBy: Set<string>; spent: bigint }> => {
    const user = await runner();
    const { budgetId } = await hardBudget(user.userId, limit);
    let pattern = '';
    const refusedBy = new Set<string>();
    let spent = 0n;
    try {
      for (const [prompt, completion] of plan) {
        const r = await sdk.aegis.guard(request(user.key, prompt, completion), reporting(prompt, completion)).then((r) => r, (e: unknown) => e);
        if (r instanceof BudgetExceededError) {
          pattern += 'x';
          refusedBy.add(r.blockingBudgetId === budgetId ? 'the budget' : r.blockingBudgetId);
        } else if (r instanceof Error) {
          throw r;
        } else {
          pattern += '.';
          spent += (r as GuardResult).cost.amountNanos;
        }
      }
    } finally {
      await sdk.aegis.close();
    }
    await settledBudget(budgetId, spent);
    return { pattern, refusedBy, spent };
  };
  const allowances = instance();
  const withAllowances = await outcomes(allowances);
  const perRequest = await outcomes(instance({ budgetAllowances: false }));
  expect(withAllowances.pattern).toBe(perRequest.pattern);
  expect(withAllowances.pattern).toContain('x');
  expect(withAllowances.spent).toBe(perRequest.spent);
  expect([...withAllowances.refusedBy]).toEqual(['the budget']);
  // The allowances did carve (the first part of the budget is roomy).
  expect(count(allowances, 'ReservationService/ReserveBudget(shared)')).toBeGreaterThan(0);
  expect(allowances.aegis.clients.billing.allowances!.stats().carved).toBeGreaterThan(0);
}, 180_000);

test('a run that throws gives its carve back: the next calls use it and nothing is booked for it', async () => {
  const user = await runner();
  const estimate = costOf(100, 100);
  const fits = 100;
  const { budgetId } = await hardBudget(user.userId, estimate * BigInt(fits));
  const sdk = instance();
  const allowances = sdk.aegis.clients.billing.allowances!;
  let admitted = 0;
  let failedRequestId = '';
  try {
    await sdk.aegis.guard(request(user.key, 100, 100), reporting(100, 100));
    admitted++;
    await eventually(async () => (allowances.stats().allowances > 0 ? true : undefined), 10_000, 'a shared hold');
    const carvedBefore = allowances.stats().carved;
    const err = await refusal(sdk.aegis.guard(request(user.key, 100, 100), async (ctx) => {
      failedRequestId = ctx.requestId;
      throw new Error('the model provider timed out');
    }));
    expect((err as Error).message).toBe('the model provider timed out');
    expect(allowances.stats().carved).toBe(carvedBefore + 1);
    // Calls until the budget refuses: the carve came back, so every estimate that fits is admitted.
    for (;;) {
      const r = await sdk.aegis.guard(request(user.key, 100, 100), reporting(100, 100)).then(() => true, (e: unknown) => {
        if (e instanceof BudgetExceededError) return false;
        throw e;
      });
      if (!r) break;
      admitted++;
    }
  } finally {
    await sdk.aegis.close();
  }
  expect(admitted).toBe(fits);
  expect(sdk.settles.flatMap((s) => s.usages).some((u) => u.requestId === failedRequestId)).toBe(false);
  await settledBudget(budgetId, estimate * BigInt(fits));
  expect(await bookedUsage(user.userId, fits)).toMatchObject({ count: BigInt(fits), nanos: estimate * BigInt(fits) });
}, 180_000);

test('a first request refused after its hold (DLP) or whose run throws leaves nothing held: the shared hold its hold started goes back too', async () => {
  await platform.admin.pii.dlp.createDlpRule({
    tenantId: platform.tenantId, rule: { name: 'block_codenames', match: { case: 'pattern', value: 'CODENAME-[0-9]{4}' }, action: DlpAction.BLOCK, enabled: true },
  });
  const reserved = async (budgetId: string) => reservedOf(await statusOf(budgetId));
  for (const failing of ['dlp', 'throw'] as const) {
    const user = await runner();
    const { budgetId } = await hardBudget(user.userId, 1_000_000_000_000n);
    const sdk = instance();
    try {
      if (failing === 'dlp') {
        // The rule reaches the SDK's scanner and pii within moments; every attempt is a first request.
        await eventually(async () => {
          const err = await sdk.aegis.guard({ ...request(user.key, 100, 100), input: 'status of CODENAME-4711?' }, reporting(100, 100)).then(() => undefined, (e: unknown) => e);
          return err instanceof DlpBlockedError ? err : undefined;
        }, 10_000, 'the DLP rule');
      } else {
        await refusal(sdk.aegis.guard(request(user.key, 100, 100), async () => {
          throw new Error('the model provider timed out');
        }));
      }
      // Right away, not eventually: the refusal waits for the shared hold it started to go back.
      expect(await reserved(budgetId)).toBe(0n);
      expect(count(sdk, 'ReservationService/ReserveBudget(shared)')).toBeGreaterThanOrEqual(1);
      expect(sdk.aegis.clients.billing.allowances!.stats().allowances).toBe(0);
      // The next completed request starts (and keeps) a shared hold as usual.
      await sdk.aegis.guard(request(user.key, 100, 100), reporting(100, 100));
      await eventually(async () => (sdk.aegis.clients.billing.allowances!.stats().allowances > 0 ? true : undefined), 10_000, 'a shared hold');
      expect(await reserved(budgetId)).toBeGreaterThan(0n);
    } finally {
      await sdk.aegis.close();
    }
    await settledBudget(budgetId, costOf(100, 100));
  }
}, 120_000);

describe('a settle that fails for good (the loss window)', () => {
  const unavailable = (methods: string[]): Interceptor => (next) => (req) => {
    if (methods.includes(req.method.name)) throw new ConnectError(`${req.method.name} is down (test)`, Code.Unavailable);
    return next(req);
  };
  const fast = { settleAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 50 };
  /** Carved from a shared hold (its reservation names the allowance), not held on its own. */
  const wasCarved = (r: GuardResult) => r.reservation.requestId.startsWith('allowance:');

  /** A first (committed) call, then `n` calls once a shared hold is open: carved until a loss pauses the allowances. */
  async function callsAfterHold(sdk: Instance, key: string, n: number): Promise<GuardResult[]> {
    const allowances = sdk.aegis.clients.billing.allowances!;
    await sdk.aegis.guard(request(key, 100, 100), reporting(100, 100));
    await eventually(async () => (allowances.stats().allowances > 0 ? true : undefined), 10_000, 'a shared hold');
    const results: GuardResult[] = [];
    for (let i = 0; i < n; i++) results.push(await sdk.aegis.guard(request(key, 100, 100), reporting(100, 50)));
    expect(allowances.stats().carved).toBeGreaterThanOrEqual(1);
    return results;
  }

  test('is reported to onSettleError and rejects settled; the tenant\'s next requests take the per-request path; the hold is never released, its budget returns at expiry', async () => {
    const user = await runner();
    const { budgetId } = await hardBudget(user.userId, 1_000_000_000_000n);
    const lost: { eventId: string; requestId: string }[] = [];
    const errors: unknown[] = [];
    const sdk = instance({ budgetAllowances: { ...fast, ttlMs: 4_000, onSettleError: (err, usages) => {
      errors.push(err);
      lost.push(...usages);
    } } }, [unavailable(['SettleUsage'])]);
    const allowances = sdk.aegis.clients.billing.allowances!;
    let carved: GuardResult[];
    let committed: GuardResult[];
    try {
      const results = await callsAfterHold(sdk, user.key, 3);
      carved = results.filter(wasCarved);
      committed = results.filter((r) => !wasCarved(r));
      expect(carved.length).toBe(allowances.stats().carved);
      for (const r of carved) await expect(r.settled).rejects.toMatchObject({ code: Code.Unavailable });
      expect(allowances.stats().lost).toBe(carved.length);
      expect(lost).toEqual(expect.arrayContaining(carved.map((r) => ({ eventId: r.usageEventId, requestId: r.requestId }))));
      expect(lost).toHaveLength(carved.length);
      expect(errors.every((e) => ConnectError.from(e).code === Code.Unavailable)).toBe(true);
      // Paused: the next calls reserve and commit on their own (a failing commit would be their error).
      const reservesBefore = count(sdk, 'ReservationService/ReserveBudget');
      const sharedBefore = count(sdk, 'ReservationService/ReserveBudget(shared)');
      for (let i = 0; i < 3; i++) committed.push(await sdk.aegis.guard(request(user.key, 100, 100), reporting(100, 50)));
      expect(count(sdk, 'ReservationService/ReserveBudget')).toBe(reservesBefore + 3);
      expect(count(sdk, 'ReservationService/ReserveBudget(shared)')).toBe(sharedBefore);
      expect(allowances.stats()).toMatchObject({ carved: carved.length, allowances: 0 });
    } finally {
      await sdk.aegis.close();
    }
    // Not released (at close either): the hold keeps the lost usages' budget held until it expires.
    expect(reservedOf(await statusOf(budgetId))).toBeGreaterThan(0n);
    const spent = costOf(100, 100) + costOf(100, 50) * BigInt(committed.length);
    await settledBudget(budgetId, spent, 20_000);
    // The lost usages are never booked.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await usageOf(user.userId)).toMatchObject({ count: BigInt(1 + committed.length), nanos: spent });
  }, 120_000);

  test('a process that never settles nor releases (killed): the shared hold\'s budget returns at expiry', async () => {
    const user = await runner();
    const { budgetId } = await hardBudget(user.userId, 1_000_000_000_000n);
    const sdk = instance({ budgetAllowances: { ...fast, ttlMs: 4_000, onSettleError: () => {} } }, [unavailable(['SettleUsage', 'ReleaseReservation'])]);
    let committed = 0;
    try {
      const results = await callsAfterHold(sdk, user.key, 3);
      committed = results.filter((r) => !wasCarved(r)).length;
      expect(reservedOf(await statusOf(budgetId))).toBeGreaterThan(0n);
    } finally {
      await sdk.aegis.close();
    }
    // The TTL (4 s) and the sweeper (1 s) give it back; the committed calls stay spent.
    await settledBudget(budgetId, costOf(100, 100) + costOf(100, 50) * BigInt(committed), 20_000);
    expect(await usageOf(user.userId)).toMatchObject({ count: BigInt(1 + committed) });
  }, 120_000);

  test('a run that ends after close() stopped waiting: its usage is reported lost (Canceled), never sent', async () => {
    const user = await runner();
    await hardBudget(user.userId, 1_000_000_000_000n);
    const lost: [Code, string][] = [];
    const sdk = instance({ budgetAllowances: { closeTimeoutMs: 50, onSettleError: (err, usages) => lost.push(...usages.map((u) => [ConnectError.from(err).code, u.requestId] as [Code, string])) } });
    const allowances = sdk.aegis.clients.billing.allowances!;
    await sdk.aegis.guard(request(user.key, 100, 100), reporting(100, 100));
    await eventually(async () => (allowances.stats().allowances > 0 ? true : undefined), 10_000, 'a shared hold');
    let requestId = '';
    let release!: () => void;
    const ran = new Promise<void>((resolve) => (release = resolve));
    const slow = sdk.aegis.guard(request(user.key, 100, 100), async (ctx) => {
      requestId = ctx.requestId;
      await ran;
      return { output: 'ok', usage: { promptTokens: 100, completionTokens: 50 } };
    }).then((r) => r.settled, (e: unknown) => Promise.reject(e));
    slow.catch(() => {});
    await eventually(async () => (requestId !== '' ? true : undefined), 10_000, 'the slow run to start');
    await sdk.aegis.close();
    release();
    // The guard may answer (its cost is local) or fail on the closed clients; the usage is reported either way.
    await slow.then(() => undefined, () => undefined);
    expect(lost).toEqual([[Code.Canceled, requestId]]);
    expect(sdk.settles.flatMap((s) => s.usages).some((u) => u.requestId === requestId)).toBe(false);
  }, 60_000);
});

test('an admin who lowers a hard limit to 0 is obeyed at the next request after a settle: the allowances of the tenant stop carving', async () => {
  const user = await runner();
  const { budgetId } = await hardBudget(user.userId, 1_000_000_000_000n);
  const sdk = instance();
  const allowances = sdk.aegis.clients.billing.allowances!;
  try {
    await sdk.aegis.guard(request(user.key, 100, 100), reporting(100, 100));
    await eventually(async () => (allowances.stats().allowances > 0 ? true : undefined), 10_000, 'a shared hold');
    const carved = await sdk.aegis.guard(request(user.key, 100, 100), reporting(100, 100));
    await carved.settled;
    expect(allowances.stats()).toMatchObject({ carved: 1, budgetsChanged: 0 });
    const { budget } = await platform.admin.billing.budgets.getBudget({ tenantId: platform.tenantId, budgetId });
    const { $typeName: _, ...fields } = budget!;
    await platform.admin.billing.budgets.updateBudget({ tenantId: platform.tenantId, budget: { ...fields, amountLimit: { currencyCode: 'USD', amountNanos: 0n } } });
    // Carved before the SDK can know; its settle says the budgets changed.
    const unaware = await sdk.aegis.guard(request(user.key, 100, 100), reporting(100, 100));
    await unaware.settled;
    expect(allowances.stats().budgetsChanged).toBeGreaterThanOrEqual(1);
    const err = await refusal(sdk.aegis.guard(request(user.key, 100, 100), reporting(100, 100)));
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toMatchObject({ blockingBudgetId: budgetId });
    expect(allowances.stats().carved).toBe(2);
  } finally {
    await sdk.aegis.close();
  }
}, 60_000);

test('an idle shared hold goes back after idleMs, while the SDK stays open', async () => {
  const user = await runner();
  const { budgetId } = await hardBudget(user.userId, 1_000_000_000_000n);
  const sdk = instance();
  const allowances = sdk.aegis.clients.billing.allowances!;
  try {
    await sdk.aegis.guard(request(user.key, 100, 100), reporting(100, 100));
    await eventually(async () => (allowances.stats().allowances > 0 ? true : undefined), 10_000, 'a shared hold');
    expect(reservedOf(await statusOf(budgetId))).toBeGreaterThan(0n);
    // idleMs (2 s) and a sweep later, nothing is held any more and the pool is gone.
    await settledBudget(budgetId, costOf(100, 100), 10_000);
    await eventually(async () => (allowances.stats().pools === 0 ? true : undefined), 5_000, 'the empty pool to go');
  } finally {
    await sdk.aegis.close();
  }
}, 60_000);

test('a run reporting parts larger than their wholes (cached > prompt) is the run\'s error: its carve goes back, nothing is settled', async () => {
  const user = await runner();
  await hardBudget(user.userId, 1_000_000_000_000n);
  const sdk = instance();
  const allowances = sdk.aegis.clients.billing.allowances!;
  try {
    await sdk.aegis.guard(request(user.key, 100, 100), reporting(100, 100));
    await eventually(async () => (allowances.stats().allowances > 0 ? true : undefined), 10_000, 'a shared hold');
    let requestId = '';
    const err = await refusal(sdk.aegis.guard(request(user.key, 100, 100), async (ctx) => {
      requestId = ctx.requestId;
      return { output: 'ok', usage: { promptTokens: 10, completionTokens: 10, cachedPromptTokens: 20 } };
    }));
    expect(err).toBeInstanceOf(TypeError);
    expect(allowances.stats()).toMatchObject({ carved: 1, lost: 0 });
    const ok = await sdk.aegis.guard(request(user.key, 100, 100), reporting(100, 100));
    await ok.settled;
    expect(sdk.settles.flatMap((s) => s.usages).some((u) => u.requestId === requestId)).toBe(false);
  } finally {
    await sdk.aegis.close();
  }
}, 60_000);

test('a price changed at once while a hold is carved: the first usage billing prices differently retires the hold; later costs are billing\'s, and the budget holds exactly what was booked', async () => {
  // gpt-4 (no other test uses it): 30,000 nanos a prompt token and 60,000 a completion token,
  // until this tenant's own price, twice that, takes effect the moment it is created.
  const user = await runner();
  const { budgetId } = await hardBudget(user.userId, 1_000_000_000_000n);
  const sdk = instance();
  const allowances = sdk.aegis.clients.billing.allowances!;
  const gpt4 = (): GuardRequest => ({ ...request(user.key, 100, 100), model: { provider: 'openai', model: 'gpt-4' } });
  const before: GuardResult[] = [];
  const after: GuardResult[] = [];
  try {
    before.push(await sdk.aegis.guard(gpt4(), reporting(100, 100)));
    await eventually(async () => (allowances.stats().allowances > 0 ? true : undefined), 10_000, 'a shared hold');
    for (let i = 0; i < 3; i++) before.push(await sdk.aegis.guard(gpt4(), reporting(100, 100)));
    await platform.admin.billing.prices.createModelPrice({
      tenantId: platform.tenantId, price: { provider: 'openai', model: 'gpt-4', promptNanosPerMillion: 60_000n * 1_000_000n, completionNanosPerMillion: 120_000n * 1_000_000n },
    });
    // Carved with the quote, which no longer holds: reported at the old price, booked at the new.
    after.push(await sdk.aegis.guard(gpt4(), reporting(100, 100)));
    expect(after[0]!.cost.amountNanos).toBe(9_000_000n);
    await expect(after[0]!.settled).resolves.toMatchObject({ cost: { amountNanos: 18_000_000n } });
    expect(allowances.stats().repriced).toBe(1);
    for (let i = 0; i < 10; i++) after.push(await sdk.aegis.guard(gpt4(), reporting(100, 100)));
  } finally {
    await sdk.aegis.close();
  }
  for (const r of before) await expect(r.settled).resolves.toMatchObject({ cost: { amountNanos: 9_000_000n } });
  // Every later call reports billing's price, and later usage was carved again (a fresh quote).
  for (const r of after.slice(1)) {
    expect(r.cost.amountNanos).toBe(18_000_000n);
    await expect(r.settled).resolves.toMatchObject({ cost: { amountNanos: 18_000_000n } });
  }
  expect(allowances.stats().carved).toBeGreaterThan(3 + 1 + 1);
  const booked = 4n * 9_000_000n + 11n * 18_000_000n;
  expect(await bookedUsage(user.userId, 15)).toMatchObject({ count: 15n, nanos: booked });
  await settledBudget(budgetId, booked);
}, 120_000);
