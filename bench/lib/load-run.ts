import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from './latency-histogram.js';

/** One call of the operation under test; it resolves when the call is complete. */
export type Operation = () => Promise<unknown>;

export type LoadOptions = (
  /** Keep `concurrency` calls in flight until `durationMs` has passed (calls in flight then still count). */
  | { concurrency: number; durationMs: number }
  /** Make exactly `count` calls, at most `concurrency` at a time. */
  | { concurrency: number; count: number }
) & {
  /** Run this long first, unrecorded (JIT, connections, pools), at the same concurrency. */
  warmupMs?: number;
};

export interface LoadResult {
  calls: number;
  /** From the first call's start to the last call's end. */
  elapsedMs: number;
  opsPerSec: number;
  latency: LatencyHistogram;
}

/**
 * Runs `operation` from `concurrency` workers, each starting its next call as soon as its
 * previous one resolved (a closed loop: the rate measured is what the server sustains at
 * that concurrency, not an arrival rate we impose). The first failure stops every worker
 * and is rethrown: a figure that mixes successes and failures measures nothing useful.
 */
export async function runLoad(operation: Operation, opts: LoadOptions): Promise<LoadResult> {
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${opts.concurrency}`);
  }
  if (opts.warmupMs !== undefined && opts.warmupMs > 0) {
    await runLoad(operation, { concurrency: opts.concurrency, durationMs: opts.warmupMs });
  }
  const latency = new LatencyHistogram();
  const limit = 'count' in opts ? opts.count : Number.POSITIVE_INFINITY;
  if ('count' in opts && !(Number.isInteger(opts.count) && opts.count >= 0)) {
    throw new RangeError(`count must be a non-negative integer, got ${opts.count}`);
  }
  const started = performance.now();
  const deadline = 'durationMs' in opts ? started + opts.durationMs : Number.POSITIVE_INFINITY;
  let issued = 0;
  let failure: { error: unknown } | undefined;

  const worker = async (): Promise<void> => {
    while (failure === undefined && issued < limit && performance.now() < deadline) {
      issued += 1;
      const callStarted = performance.now();
      try {
        await operation();
      } catch (error) {
        failure ??= { error };
        return;
      }
      latency.record((performance.now() - callStarted) * 1000);
    }
  };

  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  if (failure !== undefined) throw failure.error;
  const elapsedMs = performance.now() - started;
  return {
    calls: latency.count,
    elapsedMs,
    opsPerSec: elapsedMs > 0 ? (latency.count * 1000) / elapsedMs : 0,
    latency,
  };
}
