import { LatencyHistogram, type LatencySummary } from './latency-histogram.js';
import { type Operation, runLoad } from './load-run.js';

export interface Contender {
  /** What is measured, e.g. `bare Health/Check`. */
  name: string;
  call: Operation;
}

export interface ComparisonOptions {
  /** Pairs of runs; each contender runs once per round. */
  rounds: number;
  roundMs: number;
  /** Run by each contender before the first round (JIT, connection set-up, pools); not recorded. */
  warmupMs: number;
  concurrency: number;
  /**
   * Cumulative CPU time (µs) of the server process, read before and after each run. When
   * the client is what saturates first, a server's extra work hardly moves the rate; its
   * CPU time per call shows it anyway.
   */
  serverCpuUs?: () => Promise<number>;
}

/** What one contender did in one round. */
export interface RoundFigures {
  calls: number;
  elapsedMs: number;
  opsPerSec: number;
  latency: LatencyHistogram;
  /** The server process's CPU time during the run, when `serverCpuUs` was given. */
  serverCpuUs?: number;
}

export interface Round {
  /** Which contender ran first in this round. */
  first: 'baseline' | 'candidate';
  baseline: RoundFigures;
  candidate: RoundFigures;
}

/** A candidate/baseline ratio: the median of the rounds' ratios and how far the rounds spread. */
export interface RatioSpread {
  median: number;
  min: number;
  max: number;
  perRound: number[];
}

export interface ContenderFigures {
  name: string;
  calls: number;
  /** All calls of all rounds over all the time they took. */
  opsPerSec: number;
  /** Microseconds, from every call of every round. */
  latencyUs: LatencySummary;
  /** Server CPU time per call (µs) and the share of one core the server used, when measured. */
  server?: { cpuUsPerCall: number; coresBusy: number };
}

export interface ComparisonResult {
  baseline: ContenderFigures;
  candidate: ContenderFigures;
  /**
   * candidate / baseline, computed within each round so that drift of the machine between
   * rounds cancels out. Throughput below 1 and latency above 1 mean the candidate is slower.
   */
  ratio: { throughput: RatioSpread; p50: RatioSpread; p99: RatioSpread; serverCpuPerCall?: RatioSpread };
  rounds: number;
}

/**
 * Measures `candidate` against `baseline` in alternating rounds. The order flips every
 * round (A B, B A, A B, ...): on a shared machine whose speed drifts, a fixed A-then-B
 * order would hand one side the systematically better slot, and consecutive rounds in
 * mirrored order cancel a linear drift.
 */
export async function compareInterleaved(
  baseline: Contender,
  candidate: Contender,
  opts: ComparisonOptions,
): Promise<ComparisonResult> {
  const { concurrency, serverCpuUs } = opts;
  const measure = async (contender: Contender, durationMs: number): Promise<RoundFigures> => {
    const cpuBefore = await serverCpuUs?.();
    const result = await runLoad(contender.call, { concurrency, durationMs });
    const cpuAfter = await serverCpuUs?.();
    return cpuBefore === undefined || cpuAfter === undefined ? result : { ...result, serverCpuUs: cpuAfter - cpuBefore };
  };
  await measure(baseline, opts.warmupMs);
  await measure(candidate, opts.warmupMs);
  const rounds: Round[] = [];
  for (let i = 0; i < opts.rounds; i++) {
    const first = i % 2 === 0 ? 'baseline' : 'candidate';
    const order = first === 'baseline' ? [baseline, candidate] : [candidate, baseline];
    const a = await measure(order[0]!, opts.roundMs);
    const b = await measure(order[1]!, opts.roundMs);
    rounds.push(first === 'baseline' ? { first, baseline: a, candidate: b } : { first, baseline: b, candidate: a });
  }
  return summarizeRounds(baseline.name, candidate.name, rounds);
}

/** The comparison's figures from its rounds (pure: the statistics the unit tests pin down). */
export function summarizeRounds(baselineName: string, candidateName: string, rounds: readonly Round[]): ComparisonResult {
  if (rounds.length === 0) throw new RangeError('a comparison needs at least one round');
  const cpuMeasured = rounds.every((r) => r.baseline.serverCpuUs !== undefined && r.candidate.serverCpuUs !== undefined);
  return {
    baseline: pooled(baselineName, rounds.map((r) => r.baseline)),
    candidate: pooled(candidateName, rounds.map((r) => r.candidate)),
    ratio: {
      throughput: spreadOf(rounds.map((r) => r.candidate.opsPerSec / r.baseline.opsPerSec)),
      p50: spreadOf(rounds.map((r) => r.candidate.latency.percentile(50) / r.baseline.latency.percentile(50))),
      p99: spreadOf(rounds.map((r) => r.candidate.latency.percentile(99) / r.baseline.latency.percentile(99))),
      ...(cpuMeasured
        ? { serverCpuPerCall: spreadOf(rounds.map((r) => cpuPerCall(r.candidate) / cpuPerCall(r.baseline))) }
        : {}),
    },
    rounds: rounds.length,
  };
}

function cpuPerCall(f: RoundFigures): number {
  return (f.serverCpuUs ?? Number.NaN) / f.calls;
}

/** Median (mean of the middle two for an even count), min and max of `values`. */
export function spreadOf(values: readonly number[]): RatioSpread {
  if (values.length === 0) throw new RangeError('no values to summarise');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, perRound: [...values] };
}

function pooled(name: string, figures: readonly RoundFigures[]): ContenderFigures {
  const latency = new LatencyHistogram();
  let calls = 0;
  let elapsedMs = 0;
  let serverCpuUs = 0;
  for (const f of figures) {
    latency.merge(f.latency);
    calls += f.calls;
    elapsedMs += f.elapsedMs;
    serverCpuUs += f.serverCpuUs ?? Number.NaN;
  }
  const opsPerSec = elapsedMs > 0 ? (calls * 1000) / elapsedMs : 0;
  const figuresOf: ContenderFigures = { name, calls, opsPerSec, latencyUs: latency.summary() };
  if (Number.isNaN(serverCpuUs)) return figuresOf;
  return { ...figuresOf, server: { cpuUsPerCall: serverCpuUs / calls, coresBusy: serverCpuUs / 1000 / elapsedMs } };
}
