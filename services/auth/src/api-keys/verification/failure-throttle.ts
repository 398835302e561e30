import { createHash } from 'node:crypto';
import type { KeyValueStore } from '@aegis/shared';

export interface ThrottlePolicy {
  /** Failures a source may have in one window; the next one blocks it. */
  maxFailures: number;
  windowMs: number;
  /** How long a blocked source is answered THROTTLED without any check. */
  blockMs: number;
}

export interface ThrottleCrossing {
  /** Until when the source is blocked (epoch ms). */
  until: number;
  failures: number;
  /** True for exactly one instance per block: the one that raises the audit event. */
  firstToBlock: boolean;
}

// Bounds this process's memory of blocked sources under a flood of distinct sources.
const MAX_LOCAL_BLOCKS = 10_000;

/**
 * Failed verifications counted per source in the shared KeyValueStore (Redis when
 * configured, so every instance counts together). The block itself is remembered locally as
 * well, so a throttled source costs the hot path a Map lookup, not a Redis round trip; an
 * instance learns of a block made elsewhere at that source's next failure on it.
 */
export class FailureThrottle {
  /** Source (as given, at most 256 characters: see callerSource) → blocked until (epoch ms). */
  readonly #blocked = new Map<string, number>();

  constructor(
    private readonly kv: KeyValueStore,
    private readonly policy: ThrottlePolicy,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds the source must still wait; 0 when it may verify. No I/O, no hashing: every verification asks. */
  blockedFor(source: string): number {
    if (this.#blocked.size === 0) return 0;
    const until = this.#blocked.get(source);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left > 0) return left;
    this.#blocked.delete(source);
    return 0;
  }

  /** Counts one failure; says so when the source is (now) over the threshold. */
  async recordFailure(source: string): Promise<ThrottleCrossing | undefined> {
    const bucket = bucketOf(source);
    const failures = await this.kv.increment(`api-key-failures:${bucket}`, this.policy.windowMs);
    if (failures <= this.policy.maxFailures) return undefined;
    const proposed = this.now() + this.policy.blockMs;
    // One block marker per source and period, whoever crosses first: once per block, not per attempt.
    const firstToBlock = await this.kv.setIfAbsent(`api-key-blocked:${bucket}`, String(proposed), this.policy.blockMs);
    const until = firstToBlock ? proposed : Number(await this.kv.get(`api-key-blocked:${bucket}`)) || proposed;
    this.#remember(source, until);
    return { until, failures, firstToBlock };
  }

  #remember(source: string, until: number): void {
    if (this.#blocked.size >= MAX_LOCAL_BLOCKS) {
      const now = this.now();
      for (const [s, u] of this.#blocked) if (u <= now) this.#blocked.delete(s);
      if (this.#blocked.size >= MAX_LOCAL_BLOCKS) this.#blocked.delete(this.#blocked.keys().next().value!);
    }
    this.#blocked.set(source, until);
  }
}

/** Sources are caller-supplied text: hashed, they make bounded, injection-free store keys. */
function bucketOf(source: string): string {
  return createHash('sha256').update(source, 'utf8').digest('base64url').slice(0, 22);
}
