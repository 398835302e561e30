import { randomUUID } from 'node:crypto';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import { startRatelimit, TENANT, type RatelimitInstance, type RunningRatelimit } from './ratelimit-harness.js';

// Overrides and limit sets are stored in Postgres and reach every instance within 1 s:
// written through one instance, observed on another (LISTEN/NOTIFY on the shared database).

describe('limit configuration hot reload across instances (Postgres + Redis)', () => {
  let rl: RunningRatelimit;
  let second: RatelimitInstance;
  beforeAll(async () => {
    rl = await startRatelimit({ real: true });
    second = await rl.startInstance();
  });
  afterAll(() => rl?.stop());

  it('applies an override written on one instance on the other within a second, and its removal too', async () => {
    const key = `k-${randomUUID()}`;
    const request = { tenantId: TENANT, key, selector: { tier: RateLimitTier.FREE } };
    const perMinute = async () => Number((await second.admin.limits.getRemaining(request)).limits.find((l) => l.name === 'requests_per_minute')!.remaining);
    expect(await perMinute()).toBe(10);

    const written = performance.now();
    await rl.admin.config.setLimitOverride({ tenantId: TENANT, override: { key, tier: RateLimitTier.ENTERPRISE, reason: 'load test' } });
    const applied = await within(1_000, async () => (await perMinute()) === 300);
    console.info(`override visible on the other instance after ${Math.round(applied - written)} ms`);

    await rl.admin.config.deleteLimitOverride({ tenantId: TENANT, key });
    await within(1_000, async () => (await perMinute()) === 10);
  });

  it('applies a new limit set on the other instance within a second', async () => {
    const name = `set-${randomUUID().slice(0, 8)}`;
    await rl.admin.config.createLimitSet({ tenantId: TENANT, limitSet: { name, limits: [{ name: 'llm_tokens', quota: 5000n, window: { seconds: 60n } }] } });
    await within(1_000, async () => {
      try {
        return (await second.admin.limits.check({ tenantId: TENANT, key: 'k', cost: 4000n, selector: { limitSet: name } })).allowed;
      } catch {
        return false; // NotFound until the set arrives
      }
    });
  });
});

async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`not visible within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now();
}
