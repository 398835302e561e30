/** Microseconds since the epoch, from the monotonic clock (a wall-clock step cannot refill a bucket). */
export type MicroClock = () => number;

export const systemMicroClock: MicroClock = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);
