import { LatencyHistogram } from '../../../bench/lib/latency-histogram.js';
import {
  compareInterleaved,
  type Round,
  type RoundFigures,
  spreadOf,
  summarizeRounds,
} from '../../../bench/lib/interleaved-comparison.js';

function figures(opsPerSec: number, latenciesUs: number[], serverCpuUs?: number): RoundFigures {
  const latency = new LatencyHistogram();
  for (const v of latenciesUs) latency.record(v);
  const calls = latenciesUs.length;
  return { calls, elapsedMs: (calls * 1000) / opsPerSec, opsPerSec, latency, ...(serverCpuUs !== undefined ? { serverCpuUs } : {}) };
}

function expectRatioNear(actual: number, exact: number): void {
  expect(Math.abs(actual / exact - 1)).toBeLessThanOrEqual(LatencyHistogram.PRECISION * 1.01);
}

describe('spreadOf', () => {
  it('takes the middle value of an odd count and the mean of the middle two of an even one', () => {
    expect(spreadOf([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, perRound: [3, 1, 2] });
    expect(spreadOf([0.8, 1.2, 0.9, 1.0]).median).toBeCloseTo(0.95, 12);
  });

  it('refuses an empty list', () => {
    expect(() => spreadOf([])).toThrow(RangeError);
  });
});

describe('summarizeRounds', () => {
  // Per round, the candidate does 80% of the baseline's rate at twice its p50, whatever the
  // machine's speed in that round: the per-round ratios must see through the drift.
  const rounds: Round[] = [
    { first: 'baseline', baseline: figures(1000, [100, 100, 200], 3_000), candidate: figures(800, [200, 200, 400], 4_500) },
    { first: 'candidate', baseline: figures(500, [200, 200, 400], 3_000), candidate: figures(400, [400, 400, 800], 4_500) },
    { first: 'baseline', baseline: figures(2000, [50, 50, 100], 3_000), candidate: figures(1600, [100, 100, 200], 4_500) },
  ];

  it('computes candidate/baseline within each round and reports their median and spread', () => {
    const result = summarizeRounds('bare', 'runtime', rounds);
    expect(result.rounds).toBe(3);
    expect(result.ratio.throughput.median).toBeCloseTo(0.8, 12);
    expect(result.ratio.throughput.min).toBeCloseTo(0.8, 12);
    expect(result.ratio.throughput.max).toBeCloseTo(0.8, 12);
    // Latency ratios are of bucketed percentiles: exact to within the histogram's precision.
    expectRatioNear(result.ratio.p50.median, 2);
    expectRatioNear(result.ratio.p99.median, 2);
    expect(result.ratio.serverCpuPerCall?.median).toBeCloseTo(1.5, 12);
    expect(result.ratio.throughput.perRound).toHaveLength(3);
  });

  it('pools each contender over all its rounds', () => {
    const { baseline, candidate } = summarizeRounds('bare', 'runtime', rounds);
    expect(baseline.name).toBe('bare');
    expect(candidate.name).toBe('runtime');
    expect(baseline.calls).toBe(9);
    // 9 calls in 3 + 6 + 1.5 ms.
    expect(baseline.opsPerSec).toBeCloseTo(9_000 / 10.5, 9);
    expect(baseline.latencyUs.max).toBe(400);
    expect(baseline.latencyUs.min).toBe(50);
    expect(baseline.server?.cpuUsPerCall).toBeCloseTo(1_000, 9);
    expect(baseline.server?.coresBusy).toBeCloseTo(9_000 / 1000 / 10.5, 9);
  });

  it('leaves the CPU figures out unless every round measured them', () => {
    const partial: Round[] = [{ ...rounds[0]!, candidate: figures(800, [200]) }];
    const result = summarizeRounds('bare', 'runtime', partial);
    expect(result.ratio.serverCpuPerCall).toBeUndefined();
    expect(result.candidate.server).toBeUndefined();
  });

  it('is plain JSON, as written to bench/results', () => {
    const result = summarizeRounds('bare', 'runtime', rounds);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(Object.keys(result.baseline.latencyUs).sort()).toEqual(['count', 'max', 'mean', 'min', 'p50', 'p90', 'p99']);
  });
});

describe('compareInterleaved', () => {
  it('warms both contenders up, then alternates which runs first in each round', async () => {
    // The CPU probe is read before and after each run: what was called in between is that run.
    const runs: string[] = [];
    let calledSinceProbe = '';
    let probes = 0;
    const contender = (name: string) => ({
      name,
      call: async () => {
        calledSinceProbe = name;
        await new Promise((resolve) => setImmediate(resolve));
      },
    });
    const result = await compareInterleaved(contender('A'), contender('B'), {
      rounds: 4,
      roundMs: 5,
      warmupMs: 5,
      concurrency: 2,
      serverCpuUs: () => {
        if (probes++ % 2 === 1) runs.push(calledSinceProbe);
        calledSinceProbe = '';
        // Each reading advances by 1 ms of CPU time.
        return Promise.resolve(probes * 1_000);
      },
    });
    expect(runs).toEqual(['A', 'B', /* rounds: */ 'A', 'B', 'B', 'A', 'A', 'B', 'B', 'A']);
    expect(result.rounds).toBe(4);
    expect(result.baseline.name).toBe('A');
    expect(result.candidate.name).toBe('B');
    expect(result.candidate.calls).toBeGreaterThan(0);
    // Every run used 1 ms of "server" CPU, so its CPU per call is 1000 µs / its calls.
    expect(result.ratio.serverCpuPerCall).toBeDefined();
  });
});
