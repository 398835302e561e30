import { randomUUID } from 'node:crypto';
import { FailureMode } from '@aegis/proto/aegis/ratelimit/v1/limit_pb.js';
import { ownRedisServer, type OwnRedisServer } from '../../support/own-redis-server.js';
import { ratelimitAuditEvents, startRatelimit, TENANT, type RunningRatelimit } from './ratelimit-harness.js';

// Redis stopped (killed) and restarted mid-test, on a redis-server of this test's own: checks
// keep being answered within the tight deadline by each limit's failure mode, the degradation
// is measured and audited once, and the Redis path returns by itself when Redis does.

const perDay = (name: string, quota: number, failureMode: FailureMode) => ({ name, quota: BigInt(quota), window: { seconds: 86_400n }, failureMode });

describe('ratelimit service while Redis is stopped and restarted', () => {
  let server: OwnRedisServer;
  let rl: RunningRatelimit;
  beforeAll(async () => {
    server = await ownRedisServer();
    // Two instances expected: while degraded each holds itself to half of a fail-open limit.
    rl = await startRatelimit({ redisUrl: server.url, env: { AEGIS_RATELIMIT_INSTANCES: '2', AEGIS_RATELIMIT_PROBE_INTERVAL_MS: '100' } });
  });
  afterAll(async () => {
    await rl?.stop();
    await server?.stop();
  });

  it('fails open onto the local share or closed per limit, records it, and recovers on its own', async () => {
    const open = { limits: [perDay('open_limit', 10, FailureMode.FAIL_OPEN)] };
    const closed = { limits: [perDay('closed_limit', 10, FailureMode.FAIL_CLOSED)] };
    const openKey = `k-${randomUUID()}`;
    const closedKey = `k-${randomUUID()}`;
    const check = (key: string, selector: typeof open) => rl.admin.limits.check({ tenantId: TENANT, key, selector });

    const before = await check(openKey, open);
    expect(await (await fetch(`${rl.first.url}/metrics`)).text()).toMatch(/^health_dependency_up\{dependency="redis",required="false"\} 1$/m);
    expect(before.allowed && !before.degraded).toBe(true);
    expect((await check(closedKey, closed)).degraded).toBe(false);

    await server.stop();
    const started = performance.now();
    const firstDegraded = await check(openKey, open);
    expect(firstDegraded.degraded).toBe(true);
    // Answered at the tight deadline (100 ms by default), not after ioredis' reconnect attempts.
    expect(performance.now() - started).toBeLessThan(1_000);
    // Fail-open: this instance's share is 10 / 2 = 5 tokens of burst; the first took one.
    const openAnswers = [firstDegraded.allowed];
    for (let i = 0; i < 6; i++) openAnswers.push((await check(openKey, open)).allowed);
    expect(openAnswers).toEqual([true, true, true, true, true, false, false]);
    // Fail-closed: denied while degraded, with a retry hint.
    const closedAnswer = await check(closedKey, closed);
    expect(closedAnswer.degraded).toBe(true);
    expect(closedAnswer.allowed).toBe(false);
    expect(closedAnswer.headers!.retryAfterSeconds).toBeGreaterThanOrEqual(1n);
    // A lease cannot be shared out locally: Unavailable, not a wrong answer.
    await expect(rl.admin.leases.acquireLease({ tenantId: TENANT, key: openKey, maxConcurrent: 1n })).rejects.toThrow(/unavailable/);

    const metrics = await (await fetch(`${rl.first.url}/metrics`)).text();
    expect(metrics).toMatch(/^ratelimit_degraded 1$/m);
    expect(metrics).toMatch(/^ratelimit_degraded_decisions_total\{mode="fail_closed",result="denied"\} [1-9]/m);

    // Readiness: Redis is a reported, not a required, dependency of this service. Once the
    // runtime's health probe (every 5 s) has seen Redis down, the instance is still ready.
    const redisUp = /^health_dependency_up\{dependency="redis",required="false"\} ([01])$/m;
    await waitFor(async () => redisUp.exec(await (await fetch(`${rl.first.url}/metrics`)).text())?.[1] === '0', 10_000);
    const ready = await fetch(`${rl.first.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('SERVING\n');

    await server.start();
    const recoveredAfter = await waitFor(async () => !(await check(closedKey, closed)).degraded, 5_000);
    expect(recoveredAfter).toBeLessThan(5_000);
    // Back on Redis (an empty one: the restarted server kept nothing), with no restart of the service.
    const after = await check(closedKey, closed);
    expect(after.degraded).toBe(false);
    expect(after.allowed).toBe(true);
    expect((await fetch(`${rl.first.url}/metrics`).then((r) => r.text()))).toMatch(/^ratelimit_degraded 0$/m);

    const audits = await ratelimitAuditEvents(rl.first.running.events, (seen) => seen.some((e) => e.action === 'ratelimit.recovered'));
    expect(audits.map((e) => e.action)).toEqual(['ratelimit.degraded', 'ratelimit.recovered']);
    expect(audits[0]!.payload.case === 'audit' && audits[0]!.payload.value.security?.alerts[0]?.code).toBe('RATELIMIT_DEGRADED');
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return performance.now() - started;
}
