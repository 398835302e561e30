// Watches the Redis path: a step that fails or overruns its tight deadline is answered by
// the fallback; `failuresToDegrade` failures in a row (no success between them) mark the
// store unavailable, and from then on checks go straight to the fallback (no request waits on
// a dead Redis) while a probe retries in the background; the first probe that succeeds
// restores the Redis path. One slow call (a GC pause, a busy Redis) costs that call only.
// Failures count as one when their calls were all in flight together (one stall, or one
// failed batch, fails every call waiting on it): a failure counts only if its call started
// after the last counted one was seen, so N failures mean N attempts one after another.
// No restart, no operator.

import { DeadlineQueue } from './deadline-queue.js';

export class StoreUnavailable extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'StoreUnavailable';
  }
}

export interface StoreGuardOptions {
  timeoutMs: number;
  /** Consecutive failed or late steps that mark the store degraded (≥ 1). */
  failuresToDegrade: number;
  probeIntervalMs: number;
  /** A cheap round trip (PING), used to detect recovery. */
  probe(): Promise<unknown>;
  onDegraded(cause: unknown): void;
  onRecovered(outageMs: number): void;
}

export class StoreGuard {
  #degradedSince: number | undefined;
  #consecutiveFailures = 0;
  /** Calls started so far, and how many of them had started when the last failure was counted. */
  #started = 0;
  #countedUpTo = 0;
  #timer: NodeJS.Timeout | undefined;
  #probing = false;
  #closed = false;
  readonly #deadlines: DeadlineQueue;

  constructor(private readonly opts: StoreGuardOptions) {
    this.#deadlines = new DeadlineQueue(opts.timeoutMs);
  }

  get degraded(): boolean {
    return this.#degradedSince !== undefined;
  }

  /** Runs `work` within the deadline; StoreUnavailable when degraded, failed or late. */
  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#degradedSince !== undefined) return Promise.reject(new StoreUnavailable('redis is degraded'));
    const call = ++this.#started;
    return new Promise<T>((resolve, reject) => {
      const deadline = this.#deadlines.add(() => this.failed(call, new StoreUnavailable(`redis did not answer within ${this.opts.timeoutMs} ms`), reject));
      let pending: Promise<T>;
      try {
        pending = work();
      } catch (err) {
        pending = Promise.reject(err);
      }
      pending.then(
        (value) => {
          if (!this.#deadlines.settle(deadline)) return; // late: answered by the fallback already
          this.#consecutiveFailures = 0;
          resolve(value);
        },
        (err: unknown) => {
          if (!this.#deadlines.settle(deadline)) return;
          this.failed(call, err, reject);
        },
      );
    });
  }

  private failed(call: number, err: unknown, reject: (reason: unknown) => void): void {
    if (call > this.#countedUpTo) {
      this.#countedUpTo = this.#started;
      if (++this.#consecutiveFailures >= this.opts.failuresToDegrade) this.markDegraded(err);
    }
    reject(err instanceof StoreUnavailable ? err : new StoreUnavailable('redis failed', err));
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#deadlines.clear();
  }

  private markDegraded(cause: unknown): void {
    if (this.#degradedSince !== undefined || this.#closed) return;
    this.#degradedSince = Date.now();
    this.opts.onDegraded(cause);
    this.#timer = setInterval(() => void this.probeOnce(), this.opts.probeIntervalMs);
    this.#timer.unref();
  }

  private async probeOnce(): Promise<void> {
    if (this.#probing || this.#degradedSince === undefined) return;
    this.#probing = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('probe timed out')), Math.max(this.opts.timeoutMs, 250)); });
      await Promise.race([this.opts.probe(), deadline]);
      const since = this.#degradedSince;
      clearInterval(this.#timer);
      this.#degradedSince = undefined;
      this.#consecutiveFailures = 0;
      if (since !== undefined && !this.#closed) this.opts.onRecovered(Date.now() - since);
    } catch {
      // Still down: the next tick tries again.
    } finally {
      clearTimeout(timer);
      this.#probing = false;
    }
  }
}
