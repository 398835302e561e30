import { redisReconnectDelay, REDIS_CONNECTION_POLICY } from '../../../src/redis/index.js';

describe('redisReconnectDelay', () => {
  it('doubles from 100 ms with at most 10% jitter', () => {
    for (const [attempt, base] of [
      [1, 100],
      [2, 200],
      [3, 400],
      [5, 1_600],
    ] as const) {
      const delay = redisReconnectDelay(attempt);
      expect(delay).toBeGreaterThanOrEqual(base);
      expect(delay).toBeLessThanOrEqual(base * 1.1);
    }
  });

  it('is capped, and never gives up (always a number)', () => {
    for (const attempt of [6, 20, 1_000, 1e6]) {
      const delay = redisReconnectDelay(attempt);
      expect(delay).toBeGreaterThanOrEqual(REDIS_CONNECTION_POLICY.reconnectCapMs);
      expect(delay).toBeLessThanOrEqual(REDIS_CONNECTION_POLICY.reconnectCapMs * 1.1);
    }
  });
});
