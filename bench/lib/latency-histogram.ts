/**
 * Call latencies in log-spaced buckets, each 1% wider than the last (the idea of HDR
 * histograms, in a few lines): constant memory however many calls a run makes, and every
 * percentile within 1% of the exact one. Values are microseconds; min, max, count and
 * the sum are kept exactly.
 */
export class LatencyHistogram {
  static readonly LOWEST_US = 1;
  static readonly HIGHEST_US = 60_000_000;
  /** Relative width of a bucket, hence the worst error of a percentile. */
  static readonly PRECISION = 0.01;
  static readonly #LOG_GROWTH = Math.log1p(LatencyHistogram.PRECISION);
  static readonly #BUCKETS =
    Math.ceil(Math.log(LatencyHistogram.HIGHEST_US / LatencyHistogram.LOWEST_US) / LatencyHistogram.#LOG_GROWTH) + 1;

  readonly #counts = new Float64Array(LatencyHistogram.#BUCKETS);
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;

  /** Records one latency. Values below 1 µs share the first bucket, above 60 s the last. */
  record(us: number): void {
    if (!Number.isFinite(us) || us < 0) throw new RangeError(`latency must be a finite non-negative number, got ${us}`);
    this.#counts[LatencyHistogram.#bucketOf(us)]! += 1;
    this.#count += 1;
    this.#sum += us;
    if (us < this.#min) this.#min = us;
    if (us > this.#max) this.#max = us;
  }

  /** Adds every value recorded by `other` (pooling the rounds of a comparison). */
  merge(other: LatencyHistogram): this {
    for (let i = 0; i < this.#counts.length; i++) this.#counts[i]! += other.#counts[i]!;
    this.#count += other.#count;
    this.#sum += other.#sum;
    this.#min = Math.min(this.#min, other.#min);
    this.#max = Math.max(this.#max, other.#max);
    return this;
  }

  get count(): number {
    return this.#count;
  }

  get min(): number {
    return this.#count === 0 ? 0 : this.#min;
  }

  get max(): number {
    return this.#max;
  }

  get mean(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }

  /**
   * The nearest-rank percentile (`q` in 0..100): the smallest recorded value that at least
   * q% of the calls did not exceed, reported as the upper edge of its bucket, never
   * outside [min, max]. 0 for an empty histogram.
   */
  percentile(q: number): number {
    if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile must be within 0..100, got ${q}`);
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil((q / 100) * this.#count));
    // The first and last ranks are known exactly.
    if (rank === 1) return this.min;
    if (rank === this.#count) return this.#max;
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, LatencyHistogram.#upperEdge(i)));
    }
    return this.#max;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      min: this.min,
      mean: this.mean,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      max: this.max,
    };
  }

  // Bucket i holds (LOWEST * g^(i-1), LOWEST * g^i], with g = 1 + PRECISION.
  static #bucketOf(us: number): number {
    if (us <= LatencyHistogram.LOWEST_US) return 0;
    const index = Math.ceil(Math.log(us / LatencyHistogram.LOWEST_US) / LatencyHistogram.#LOG_GROWTH);
    return Math.min(index, LatencyHistogram.#BUCKETS - 1);
  }

  static #upperEdge(index: number): number {
    return LatencyHistogram.LOWEST_US * Math.exp(index * LatencyHistogram.#LOG_GROWTH);
  }
}

/** Latency figures of one contender, in microseconds. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}
