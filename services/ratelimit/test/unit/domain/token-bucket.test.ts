import fc from 'fast-check';
import { bucketParams, limitViolations, readBucket, step, usedAt, type BucketState, type LimitSpec } from '../../../src/domain/index.js';

const spec = (quota: number, windowSeconds: number, burst = quota): LimitSpec => ({ name: 'l', quota, windowSeconds, burst, failureMode: 'default' });

describe('token bucket (domain)', () => {
  it('keeps rate exact as integers: units per token / refill per µs = window / quota', () => {
    expect(bucketParams(spec(10, 60))).toEqual({ unitsPerToken: 6_000_000, refillPerMicro: 1, capacity: 60_000_000 });
    expect(bucketParams(spec(7, 60))).toEqual({ unitsPerToken: 60_000_000, refillPerMicro: 7, capacity: 420_000_000 });
    expect(bucketParams(spec(10_000_000, 86_400)).capacity).toBeLessThan(2 ** 50);
  });

  it('refuses limits it could not keep exact, and bad fields', () => {
    expect(limitViolations(spec(999_999_937, 2_678_400, 1_000_000_000_000), 'l').map((v) => v.field)).toEqual(['l.burst']);
    expect(limitViolations({ ...spec(0, 0), name: 'Bad!' }, 'x').map((v) => v.field)).toEqual(['x.name', 'x.quota', 'x.window', 'x.burst']);
  });

  it('never admits more than burst + rate × elapsed, whatever the arrival times and costs (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 3600 }), fc.integer({ min: 1, max: 500 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 5_000_000 }), fc.integer({ min: 1, max: 500 })), { maxLength: 200 }),
      (quota, windowSeconds, burst, arrivals) => {
        const params = bucketParams(spec(quota, windowSeconds, burst));
        let state: BucketState | undefined;
        let now = 1_700_000_000_000_000;
        const start = now;
        let admitted = 0;
        for (const [gap, cost] of arrivals) {
          now += gap;
          if (cost > burst) continue;
          const result = step('consume', [state], now, [params], cost);
          if (result.allowed) {
            admitted += cost;
            state = result.writes![0];
          }
          // Bound in exact integer arithmetic: admitted × window µs ≤ burst × window µs + quota × elapsed.
          const windowMicros = BigInt(windowSeconds) * 1_000_000n;
          expect(BigInt(admitted) * windowMicros <= BigInt(burst) * windowMicros + BigInt(quota) * BigInt(now - start)).toBe(true);
        }
      },
    ));
  });

  it('is all or nothing across limits, and a denial consumes nothing', () => {
    const small = bucketParams(spec(2, 60));
    const large = bucketParams(spec(100, 60));
    const first = step('consume', [undefined, undefined], 0, [small, large], 2);
    expect(first.allowed).toBe(true);
    const denied = step('consume', first.writes!, 1, [small, large], 1);
    expect(denied.allowed).toBe(false);
    expect(denied.writes).toBeUndefined();
  });

  it('reports remaining, reset and retry times, and refunds up to a full bucket', () => {
    const params = bucketParams(spec(10, 60));
    const after = step('consume', [undefined], 0, [params], 10);
    expect(readBucket(after.used[0]!, params, 1)).toEqual({ remaining: 0, resetAfterMicros: 60_000_000, retryAfterMicros: 6_000_000 });
    const refunded = step('refund', after.writes!, 0, [params], 50);
    expect(refunded.writes).toEqual([undefined]);
  });

  it('does not refill when the clock steps back', () => {
    const params = bucketParams(spec(10, 1));
    const state = { used: params.capacity, at: 1_000_000, unitsPerToken: params.unitsPerToken };
    expect(usedAt(state, 500_000, params)).toEqual({ used: params.capacity, at: 1_000_000 });
  });
});
