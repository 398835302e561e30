import { StoreGuard, StoreUnavailable, type StoreGuardOptions } from '../../../src/degradation/store-guard.js';

// Hysteresis of the Redis path: a failed or late step is answered by the fallback, but only
// `failuresToDegrade` of them in a row switch the instance over; calls that fail together
// count once; a success in between resets the count; recovery also starts it afresh.

const TIMEOUT_MS = 20;

function guardWith(overrides: Partial<StoreGuardOptions> = {}) {
  const events: string[] = [];
  let probeAnswers = false;
  const guard = new StoreGuard({
    timeoutMs: TIMEOUT_MS,
    failuresToDegrade: 3,
    probeIntervalMs: 5,
    probe: async () => {
      if (!probeAnswers) throw new Error('still down');
    },
    onDegraded: () => events.push('degraded'),
    onRecovered: () => events.push('recovered'),
    ...overrides,
  });
  return { guard, events, redisBack: () => { probeAnswers = true; } };
}

const ok = () => Promise.resolve('ok');
const failing = () => Promise.reject(new Error('connection reset'));
const slow = () => new Promise<string>((resolve) => setTimeout(() => resolve('late'), TIMEOUT_MS * 5));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function outcome(run: Promise<unknown>): Promise<string> {
  try {
    return String(await run);
  } catch (err) {
    return err instanceof StoreUnavailable ? 'unavailable' : 'other error';
  }
}

describe('StoreGuard hysteresis', () => {
  it('answers one slow or failed step with StoreUnavailable but stays on Redis', async () => {
    const { guard, events } = guardWith();
    try {
      expect(await outcome(guard.run(slow))).toBe('unavailable');
      expect(guard.degraded).toBe(false);
      expect(await outcome(guard.run(failing))).toBe('unavailable');
      expect(guard.degraded).toBe(false);
      expect(await outcome(guard.run(ok))).toBe('ok');
      expect(events).toEqual([]);
    } finally {
      guard.close();
    }
  });

  it('degrades after the configured number of failures in a row, not counting those before a success', async () => {
    const { guard, events } = guardWith();
    try {
      await outcome(guard.run(failing));
      await outcome(guard.run(slow));
      await outcome(guard.run(ok)); // resets the count
      await outcome(guard.run(slow));
      await outcome(guard.run(failing));
      expect(guard.degraded).toBe(false);
      await outcome(guard.run(slow)); // third in a row
      expect(guard.degraded).toBe(true);
      expect(events).toEqual(['degraded']);
      // Degraded: straight to the fallback, Redis not even asked.
      let asked = false;
      expect(await outcome(guard.run(async () => { asked = true; return 'ok'; }))).toBe('unavailable');
      expect(asked).toBe(false);
    } finally {
      guard.close();
    }
  });

  it('counts calls that failed together (one stall, one failed batch) as one failure', async () => {
    const { guard, events } = guardWith();
    try {
      // Five calls in flight when Redis stalls: one failure, not five.
      const together = await Promise.all(Array.from({ length: 5 }, () => outcome(guard.run(slow))));
      expect(together).toEqual(Array(5).fill('unavailable'));
      expect(guard.degraded).toBe(false);
      await outcome(guard.run(failing));
      expect(guard.degraded).toBe(false);
      // The third attempt in a row, each started after the previous failure was seen.
      await Promise.all([outcome(guard.run(failing)), outcome(guard.run(failing))]);
      expect(guard.degraded).toBe(true);
      expect(events).toEqual(['degraded']);
    } finally {
      guard.close();
    }
  });

  it('recovers through the probe and counts afresh afterwards', async () => {
    const { guard, events, redisBack } = guardWith({ failuresToDegrade: 2 });
    try {
      await outcome(guard.run(failing));
      await outcome(guard.run(failing));
      expect(guard.degraded).toBe(true);
      redisBack();
      for (let i = 0; i < 100 && guard.degraded; i++) await sleep(5);
      expect(guard.degraded).toBe(false);
      expect(events).toEqual(['degraded', 'recovered']);
      await outcome(guard.run(failing));
      expect(guard.degraded).toBe(false);
      await outcome(guard.run(failing));
      expect(guard.degraded).toBe(true);
      expect(events).toEqual(['degraded', 'recovered', 'degraded']);
    } finally {
      guard.close();
    }
  });

  it('with failuresToDegrade = 1 degrades on the first failure (the old behaviour)', async () => {
    const { guard } = guardWith({ failuresToDegrade: 1 });
    try {
      await outcome(guard.run(slow));
      expect(guard.degraded).toBe(true);
    } finally {
      guard.close();
    }
  });
});
