import { MemoryKeyValueStore } from '@aegis/shared';
import { FailureThrottle } from '../../../src/api-keys/verification/failure-throttle.js';

const policy = { maxFailures: 3, windowMs: 10_000, blockMs: 60_000 };

function setUp() {
  let now = 5_000_000;
  const kv = new MemoryKeyValueStore(() => now);
  const clock = () => now;
  return { kv, clock, throttle: new FailureThrottle(kv, policy, clock), advance: (ms: number) => (now += ms) };
}

describe('FailureThrottle', () => {
  test('a source may fail up to the threshold; the next failure blocks it for the block period', async () => {
    const { throttle } = setUp();
    for (let i = 0; i < 3; i++) expect(await throttle.recordFailure('10.0.0.1')).toBeUndefined();
    expect(throttle.blockedFor('10.0.0.1')).toBe(0);
    const crossing = await throttle.recordFailure('10.0.0.1');
    expect(crossing).toMatchObject({ failures: 4, firstToBlock: true });
    expect(throttle.blockedFor('10.0.0.1')).toBe(60_000);
  });

  test('the block ends after the block period, and retry-after counts down to it', async () => {
    const { throttle, advance } = setUp();
    for (let i = 0; i < 4; i++) await throttle.recordFailure('s');
    advance(45_000);
    expect(throttle.blockedFor('s')).toBe(15_000);
    advance(15_000);
    expect(throttle.blockedFor('s')).toBe(0);
  });

  test('sources are counted apart', async () => {
    const { throttle } = setUp();
    for (let i = 0; i < 4; i++) await throttle.recordFailure('attacker');
    expect(throttle.blockedFor('attacker')).toBeGreaterThan(0);
    expect(throttle.blockedFor('bystander')).toBe(0);
    expect(await throttle.recordFailure('bystander')).toBeUndefined();
  });

  test('failures spread over more than one window do not add up', async () => {
    const { throttle, advance } = setUp();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) expect(await throttle.recordFailure('slow')).toBeUndefined();
      advance(10_000);
    }
    expect(throttle.blockedFor('slow')).toBe(0);
  });

  test('two instances sharing the store count together, and only one of them is first to block', async () => {
    const { kv, clock } = setUp();
    const a = new FailureThrottle(kv, policy, clock);
    const b = new FailureThrottle(kv, policy, clock);
    await a.recordFailure('x');
    await b.recordFailure('x');
    await a.recordFailure('x');
    const first = await b.recordFailure('x');
    const second = await a.recordFailure('x');
    expect(first).toMatchObject({ firstToBlock: true, failures: 4 });
    expect(second).toMatchObject({ firstToBlock: false, failures: 5, until: first!.until });
    expect(a.blockedFor('x')).toBe(b.blockedFor('x'));
  });

  test('an instance that has not seen the block yet learns it, with the same end, at its next failure', async () => {
    const { kv, clock } = setUp();
    const a = new FailureThrottle(kv, policy, clock);
    const b = new FailureThrottle(kv, policy, clock);
    for (let i = 0; i < 4; i++) await a.recordFailure('y');
    expect(b.blockedFor('y')).toBe(0);
    await b.recordFailure('y');
    expect(b.blockedFor('y')).toBe(a.blockedFor('y'));
  });

  test('sources are stored hashed: no caller text in the store keys', async () => {
    const { kv, throttle } = setUp();
    const keys: string[] = [];
    const increment = kv.increment.bind(kv);
    kv.increment = (key, windowMs) => {
      keys.push(key);
      return increment(key, windowMs);
    };
    await throttle.recordFailure('evil:key\nwith*glob');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^api-key-failures:[A-Za-z0-9_-]{22}$/);
  });
});
