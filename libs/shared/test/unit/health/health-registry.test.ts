import { HealthRegistry, ServingStatus } from '../../../src/health/index.js';
import { createLogger } from '../../../src/logging/index.js';

const { SERVING, NOT_SERVING } = ServingStatus;

function registry(opts: { probeTimeoutMs?: number } = {}) {
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({ service: 'test', destination: { write: (l: string) => void logs.push(JSON.parse(l)) } });
  return { health: new HealthRegistry({ logger, pollIntervalMs: 60_000, ...opts }), logs };
}

describe('HealthRegistry', () => {
  test('NOT_SERVING until markReady, then SERVING, and NOT_SERVING for good once draining', async () => {
    const { health } = registry();
    expect(health.status()).toBe(NOT_SERVING);
    await health.markReady();
    expect(health.status()).toBe(SERVING);
    health.markDraining();
    expect(health.status()).toBe(NOT_SERVING);
    await health.markReady();
    expect(health.status()).toBe(NOT_SERVING);
  });

  test('markReady reports NOT_SERVING when a required dependency fails its first probe', async () => {
    const { health } = registry();
    health.addDependency('postgres', () => Promise.reject(new Error('connection refused')));
    await health.markReady();
    expect(health.status()).toBe(NOT_SERVING);
    expect(health.dependencies()).toEqual([{ name: 'postgres', required: true, healthy: false }]);
  });

  test('a probe that hangs counts as failed after probeTimeoutMs', async () => {
    const { health, logs } = registry({ probeTimeoutMs: 30 });
    health.addDependency('kafka', () => new Promise<void>(() => {}));
    const started = Date.now();
    await health.markReady();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(health.status()).toBe(NOT_SERVING);
    expect(logs.find((l) => l['dependency'] === 'kafka')?.['reason']).toBe('probe timed out after 30 ms');
  });

  test('concurrent refreshes share one round of probes', async () => {
    const { health } = registry();
    let calls = 0;
    health.addDependency('redis', async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 10));
    });
    await Promise.all([health.refresh(), health.refresh(), health.refresh()]);
    expect(calls).toBe(1);
    await health.refresh();
    expect(calls).toBe(2);
  });

  test('listeners hear about status changes; unknown services have no status', async () => {
    const { health } = registry();
    let up = true;
    health.addDependency('db', async () => {
      if (!up) throw new Error('down');
    });
    health.addService('aegis.auth.v1.ApiKeyService');
    await health.markReady();
    const seen: Array<ServingStatus | undefined> = [];
    const unsubscribe = health.onChange(() => seen.push(health.status('aegis.auth.v1.ApiKeyService')));
    up = false;
    await health.refresh();
    up = true;
    await health.refresh();
    await health.refresh(); // no change: no notification
    unsubscribe();
    health.markDraining();
    expect(seen).toEqual([NOT_SERVING, SERVING]);
    expect(health.status('aegis.nope.v1.Nope')).toBeUndefined();
  });

  test('a dependency name can be registered once', () => {
    const { health } = registry();
    health.addDependency('db', async () => {});
    expect(() => health.addDependency('db', async () => {})).toThrow('already registered');
  });
});
