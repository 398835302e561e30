import {
  activeKey,
  immediateRotation,
  keyState,
  publishedKeys,
  retiredKids,
  scheduledRotation,
  type RotationPolicy,
  type SigningKeyTimes,
} from '../../../src/tokens/domain/signing-key-schedule.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const policy: RotationPolicy = { intervalMs: 30 * DAY, prepublishMs: HOUR, retentionMs: DAY + 10 * 60_000 };
const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms);

function key(kid: string, activateMs: number, retireMs: number | null = null): SigningKeyTimes {
  return { kid, algorithm: 'EdDSA', createTime: at(activateMs), activateTime: at(activateMs), retireTime: retireMs === null ? null : at(retireMs) };
}

describe('which key signs', () => {
  const keys = [key('a', 0, 31 * DAY), key('b', 30 * DAY), key('c', 60 * DAY)];

  test('the latest activation that has come, and a pending key only once its time comes', () => {
    expect(activeKey(keys, at(DAY))?.kid).toBe('a');
    expect(activeKey(keys, at(30 * DAY - 1))?.kid).toBe('a');
    expect(activeKey(keys, at(30 * DAY))?.kid).toBe('b');
    expect(activeKey(keys, at(60 * DAY))?.kid).toBe('c');
  });

  test('states: pending, active, verify-only, retired', () => {
    const now = at(30 * DAY + HOUR);
    expect(keys.map((k) => keyState(k, keys, now))).toEqual(['verify_only', 'active', 'pending']);
    expect(keys.map((k) => keyState(k, keys, at(31 * DAY)))).toEqual(['retired', 'active', 'pending']);
  });

  test('published: everything not retired, newest activation first; retired keys are due for deletion', () => {
    expect(publishedKeys(keys, at(30 * DAY + HOUR)).map((k) => k.kid)).toEqual(['c', 'b', 'a']);
    expect(publishedKeys(keys, at(31 * DAY)).map((k) => k.kid)).toEqual(['c', 'b']);
    expect(retiredKids(keys, at(31 * DAY))).toEqual(['a']);
    expect(retiredKids(keys, at(31 * DAY - 1))).toEqual([]);
  });

  test('equal activation times are broken by kid, the same way on every instance', () => {
    const tied = [key('k2', 0), key('k1', 0), key('k3', 0)];
    expect(activeKey(tied, at(1))?.kid).toBe('k3');
    expect(activeKey([...tied].reverse(), at(1))?.kid).toBe('k3');
  });

  test('no key, or only retired ones: none active', () => {
    expect(activeKey([], at(0))).toBeUndefined();
    expect(activeKey([key('a', 0, DAY)], at(DAY))).toBeUndefined();
  });
});

describe('the rotation schedule', () => {
  test('a first key activates at once', () => {
    expect(scheduledRotation([], at(0), policy)).toEqual({ activateAt: at(0), retireOthersAt: at(policy.retentionMs), discard: [] });
  });

  test('nothing is due until the prepublish window before the interval ends', () => {
    const keys = [key('a', 0)];
    expect(scheduledRotation(keys, at(30 * DAY - HOUR - 1), policy)).toBeUndefined();
  });

  test('the successor is stored one prepublish ahead and activates exactly at the interval', () => {
    const keys = [key('a', 0)];
    const step = scheduledRotation(keys, at(30 * DAY - HOUR), policy);
    expect(step).toEqual({ activateAt: at(30 * DAY), retireOthersAt: at(30 * DAY + policy.retentionMs), discard: [] });
  });

  test('once a successor is pending nothing more is scheduled', () => {
    expect(scheduledRotation([key('a', 0), key('b', 30 * DAY)], at(30 * DAY - HOUR / 2), policy)).toBeUndefined();
  });

  test('late (every instance was down when it fell due): verifiers still get the full prepublish time', () => {
    const step = scheduledRotation([key('a', 0)], at(45 * DAY), policy);
    expect(step?.activateAt).toEqual(at(45 * DAY + HOUR));
  });

  test('every key retired: a new one activates at once and a stale pending key is discarded', () => {
    const step = scheduledRotation([key('old', 0, DAY), key('pending', 3 * DAY)], at(2 * DAY), policy);
    expect(step).toEqual({ activateAt: at(2 * DAY), retireOthersAt: at(2 * DAY + policy.retentionMs), discard: ['pending'] });
  });

  test('RotateSigningKey activates now, retires the current key after the retention, and drops a pending successor', () => {
    const step = immediateRotation([key('a', 0), key('b', 30 * DAY)], at(29 * DAY + 12 * HOUR), policy);
    expect(step).toEqual({ activateAt: at(29 * DAY + 12 * HOUR), retireOthersAt: at(29 * DAY + 12 * HOUR + policy.retentionMs), discard: ['b'] });
  });
});
