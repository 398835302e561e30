import { jest } from '@jest/globals';
import { DeadlineQueue } from '../../../src/degradation/deadline-queue.js';

// One timer for many equal deadlines: each fires once, in order, unless settled first; a
// settle after the deadline fired reports the work as late. On fake timers (performance.now
// included), so the times are exact.

describe('DeadlineQueue', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('fires the unsettled deadlines at their time, in the order they were set, and only those', () => {
    const queue = new DeadlineQueue(30);
    const fired: number[] = [];
    const deadlines = [0, 1, 2, 3].map((i) => queue.add(() => fired.push(i)));
    expect(queue.settle(deadlines[1]!)).toBe(true);
    jest.advanceTimersByTime(10);
    const later = queue.add(() => fired.push(4));
    jest.advanceTimersByTime(19);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(fired).toEqual([0, 2, 3]);
    expect(queue.settle(deadlines[0]!)).toBe(false); // too late: it fired
    jest.advanceTimersByTime(9);
    expect(fired).toEqual([0, 2, 3]);
    jest.advanceTimersByTime(1);
    expect(fired).toEqual([0, 2, 3, 4]);
    expect(later.done).toBe(true);
    queue.clear();
  });

  it('holds no deadlines once all settled, and arms again for new ones', () => {
    const queue = new DeadlineQueue(20);
    const fired: string[] = [];
    for (let i = 0; i < 5_000; i++) queue.settle(queue.add(() => fired.push('early')));
    jest.advanceTimersByTime(30);
    queue.add(() => fired.push('late'));
    jest.advanceTimersByTime(20);
    expect(fired).toEqual(['late']);
    queue.clear();
  });
});
