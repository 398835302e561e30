import { LatencyHistogram } from '../../../bench/lib/latency-histogram.js';

function histogramOf(values: Iterable<number>): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

// Nearest-rank percentiles are reported as their bucket's upper edge: never below the exact
// value, at most PRECISION above it.
function expectWithinPrecision(actual: number, exact: number): void {
  expect(actual).toBeGreaterThanOrEqual(exact);
  expect(actual).toBeLessThanOrEqual(exact * (1 + LatencyHistogram.PRECISION));
}

describe('LatencyHistogram', () => {
  it('reports the percentiles of a uniform distribution within 1%', () => {
    const h = histogramOf(range(1, 10_000));
    expectWithinPrecision(h.percentile(50), 5_000);
    expectWithinPrecision(h.percentile(90), 9_000);
    expectWithinPrecision(h.percentile(99), 9_900);
    expect(h.count).toBe(10_000);
  });

  it('keeps count, min, max and mean exact', () => {
    const h = histogramOf([250, 1_000, 37.5, 90_000]);
    expect(h.min).toBe(37.5);
    expect(h.max).toBe(90_000);
    expect(h.mean).toBeCloseTo((250 + 1_000 + 37.5 + 90_000) / 4, 9);
    expect(h.percentile(0)).toBe(37.5);
    expect(h.percentile(100)).toBe(90_000);
  });

  it('separates the tail of a bimodal distribution from its body', () => {
    // 990 fast calls and 10 slow ones: p50 and p90 are fast, p99 is the last fast call, p99.9 slow.
    const h = histogramOf([...Array<number>(990).fill(100), ...Array<number>(10).fill(20_000)]);
    expectWithinPrecision(h.percentile(50), 100);
    expectWithinPrecision(h.percentile(90), 100);
    expectWithinPrecision(h.percentile(99), 100);
    expect(h.percentile(99.9)).toBe(20_000);
    expect(h.summary()).toEqual({ count: 1_000, min: 100, mean: (990 * 100 + 10 * 20_000) / 1_000, p50: h.percentile(50), p90: h.percentile(90), p99: h.percentile(99), max: 20_000 });
  });

  it('never reports a percentile outside the recorded range', () => {
    // Both fall in the first bucket, whose upper edge (1 µs) is above either of them.
    const h = histogramOf([0.2, 0.3, 0.3]);
    expect(h.percentile(50)).toBe(0.3);
    const single = histogramOf([123_456]);
    expect(single.percentile(1)).toBe(123_456);
    expect(single.percentile(99)).toBe(123_456);
  });

  it('keeps the exact maximum of values beyond its last bucket', () => {
    const h = histogramOf([10, 120_000_000]);
    expect(h.max).toBe(120_000_000);
    expect(h.percentile(100)).toBe(120_000_000);
  });

  it('merges into the histogram of all values recorded together', () => {
    const odd = histogramOf(range(1, 5_000).filter((v) => v % 2 === 1));
    const even = histogramOf(range(1, 5_000).filter((v) => v % 2 === 0));
    expect(odd.merge(even).summary()).toEqual(histogramOf(range(1, 5_000)).summary());
  });

  it('reports zeros when nothing was recorded', () => {
    expect(new LatencyHistogram().summary()).toEqual({ count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  });

  it('rejects latencies and percentiles that make no sense', () => {
    const h = new LatencyHistogram();
    expect(() => h.record(-1)).toThrow(RangeError);
    expect(() => h.record(Number.NaN)).toThrow(RangeError);
    expect(() => h.percentile(101)).toThrow(RangeError);
  });
});
