// Rate-limit allowances and slot reuse against the real ratelimit service on Redis (all five
// services, as a platform service sees them): guarded calls from three SDK instances sharing one
// bucket never exceed its quota; a steady caller makes far fewer Check and AcquireLease RPCs than
// it has requests; unused units are refunded, so the bucket shows exactly what was admitted.
import type { Interceptor } from '@connectrpc/connect';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { LimitSchema } from '@aegis/proto/aegis/ratelimit/v1/limit_pb.js';
import { RateLimitedError, createAegis, type Aegis, type GuardRequest, type RunResult } from '../../src/index.js';
import { eventually, startPlatform, type RunningPlatform } from './platform-harness.js';

const TEST_TIMEOUT_MS = 30_000;
// Windows long enough that refill during a test is a fraction of a token.
const MONTH = { seconds: 31n * 86_400n };

let platform: RunningPlatform;

beforeAll(async () => {
  platform = await startPlatform();
  await platform.admin.policy.roles.createRole({ tenantId: platform.tenantId, role: { name: 'runner', permissions: ['agent:execute'], modelAccess: ['*'] } });
  await platform.admin.policy.roles.createRole({
    tenantId: platform.tenantId,
    role: { name: 'busy_runner', permissions: ['agent:execute'], modelAccess: ['*'], resourceLimits: { maxConcurrentExecutions: 2n } },
  });
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

/** An SDK instance counting the RPCs it sends, by method name. */
function instance(limits: MessageInitShape<typeof LimitSchema>[]): { aegis: Aegis; sent: Map<string, number> } {
  const sent = new Map<string, number>();
  const counting: Interceptor = (next) => (req) => {
    const name = `${req.service.typeName.split('.').at(-1)}/${req.method.name}`;
    sent.set(name, (sent.get(name) ?? 0) + 1);
    return next(req);
  };
  const aegis = createAegis({
    urls: platform.urls, apiKey: platform.serviceKey, timeoutMs: TEST_TIMEOUT_MS, interceptors: [counting],
    guard: { rateLimit: { tier: 'none', limits } },
  });
  return { aegis, sent };
}

function request(key: string): GuardRequest {
  return {
    credential: `Bearer ${key}`, action: 'execute', resource: { kind: 'agent', id: 'bot' },
    model: { provider: 'openai', model: 'gpt-4o' }, input: 'hi', promptTokens: 1, maxOutputTokens: 1,
  };
}

const noop = async (): Promise<RunResult> => ({ output: 'ok', usage: { promptTokens: 1, completionTokens: 1 } });

async function calls(aegis: Aegis, key: string, n: number): Promise<{ admitted: number; refused: RateLimitedError[] }> {
  let admitted = 0;
  const refused: RateLimitedError[] = [];
  for (let i = 0; i < n; i++) {
    try {
      await aegis.guard(request(key), noop);
      admitted++;
    } catch (err) {
      if (!(err instanceof RateLimitedError)) throw err;
      refused.push(err);
    }
  }
  return { admitted, refused };
}

async function remaining(keyId: string, limits: MessageInitShape<typeof LimitSchema>[]): Promise<bigint> {
  const res = await platform.admin.ratelimit.limits.getRemaining({ tenantId: platform.tenantId, key: keyId, selector: { limits } });
  return res.limits[0]!.remaining;
}

test('three SDK instances sharing one bucket never admit more than its quota; refusals keep the limiter\'s retry time; refunds leave exactly what was admitted', async () => {
  const limits = [{ name: 'shared_quota', quota: 120n, window: MONTH }];
  const user = await platform.user(['runner'], RateLimitTier.PRO);
  const sdks = [instance(limits), instance(limits), instance(limits)];
  let admitted = 0;
  try {
    const results = await Promise.all(sdks.map(({ aegis }) => calls(aegis, user.key, 60)));
    admitted = results.reduce((sum, r) => sum + r.admitted, 0);
    expect(admitted).toBeLessThanOrEqual(120);
    expect(admitted).toBeGreaterThanOrEqual(100);
    const refused = results.flatMap((r) => r.refused);
    expect(refused.length).toBe(180 - admitted);
    // 1 token wanted from a month-long window: a retry time of hours, straight from the limiter.
    for (const err of refused) expect(err.retryAfterMs).toBeGreaterThan(3_600_000);
  } finally {
    await Promise.all(sdks.map(({ aegis }) => aegis.close()));
  }
  // Once every instance has refunded what it held, the bucket shows exactly what was admitted.
  const admittedTotal = BigInt(admitted);
  await eventually(async () => ((await remaining(user.keyId, limits)) === 120n - admittedTotal ? true : undefined), 5000, 'the refunds');
}, 120_000);

test('a steady caller: far fewer Check and AcquireLease RPCs than requests, and unused units refunded once idle', async () => {
  const limits = [{ name: 'steady_quota', quota: 100_000n, window: MONTH }];
  const user = await platform.user(['busy_runner'], RateLimitTier.PRO);
  const { aegis, sent } = instance(limits);
  try {
    const { admitted } = await calls(aegis, user.key, 200);
    expect(admitted).toBe(200);
    const checks = sent.get('RateLimitService/Check') ?? 0;
    const acquires = sent.get('LeaseService/AcquireLease') ?? 0;
    expect(checks).toBeLessThan(50);
    expect(acquires).toBeLessThan(10);
    const stats = aegis.clients.ratelimit.allowances!.stats();
    expect(stats.localAdmits).toBeGreaterThan(140);
    // Idle for a second: what the instance held goes back, so the bucket counts exactly the 200.
    const left = await eventually(async () => {
      const now = await remaining(user.keyId, limits);
      return aegis.clients.ratelimit.allowances!.stats().heldUnits === 0n && now >= 100_000n - 200n ? now : undefined;
    }, 10_000, 'the idle refund');
    expect(left).toBe(100_000n - 200n);
    expect(aegis.clients.ratelimit.allowances!.stats().refundedUnits).toBeGreaterThan(0n);
  } finally {
    await aegis.close();
  }
}, 120_000);
