import { runLoad } from '../../../bench/lib/load-run.js';

// Calls that resolve on the next macrotask: concurrency is observable, timing irrelevant.
function countingOperation() {
  const stats = { calls: 0, inFlight: 0, maxInFlight: 0 };
  const call = async () => {
    stats.calls++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    stats.inFlight--;
  };
  return { stats, call };
}

describe('runLoad', () => {
  it('makes exactly `count` calls, never more than `concurrency` at once', async () => {
    const { stats, call } = countingOperation();
    const result = await runLoad(call, { concurrency: 4, count: 103 });
    expect(stats.calls).toBe(103);
    expect(stats.maxInFlight).toBe(4);
    expect(result.calls).toBe(103);
    expect(result.latency.count).toBe(103);
    expect(result.opsPerSec).toBeCloseTo((103 * 1000) / result.elapsedMs, 6);
  });

  it('runs every worker until the duration is over', async () => {
    const { stats, call } = countingOperation();
    const result = await runLoad(call, { concurrency: 3, durationMs: 20 });
    expect(stats.maxInFlight).toBe(3);
    expect(result.calls).toBe(stats.calls);
    expect(result.calls).toBeGreaterThan(0);
  });

  it('stops every worker at the first failure and rethrows it', async () => {
    let calls = 0;
    const failure = new Error('server answered unavailable');
    const call = async () => {
      calls++;
      await new Promise((resolve) => setImmediate(resolve));
      if (calls === 10) throw failure;
    };
    await expect(runLoad(call, { concurrency: 2, count: 1_000 })).rejects.toBe(failure);
    // Only the calls already in flight when the failure surfaced were made.
    expect(calls).toBeLessThanOrEqual(11);
  });

  it('refuses a concurrency that is not a positive integer', async () => {
    await expect(runLoad(async () => undefined, { concurrency: 0, count: 1 })).rejects.toThrow(RangeError);
    await expect(runLoad(async () => undefined, { concurrency: 1.5, count: 1 })).rejects.toThrow(RangeError);
  });
});

describe('runLoad with a warm-up', () => {
  it('makes the warm-up calls first and leaves them out of the figures', async () => {
    let calls = 0;
    const call = async () => {
      calls++;
      await new Promise((resolve) => setImmediate(resolve));
    };
    const result = await runLoad(call, { concurrency: 2, count: 10, warmupMs: 5 });
    expect(result.calls).toBe(10);
    expect(calls).toBeGreaterThan(10);
  });
});
