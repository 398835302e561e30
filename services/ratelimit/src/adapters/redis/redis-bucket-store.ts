import type { RedisClient } from '@aegis/shared';
import type { BucketOp, BucketParams } from '../../domain/index.js';
import type { BucketAnswer, BucketLimit, BucketOwner, BucketStore } from '../../ports.js';
import { bucketsKey } from './keys.js';
import { withScripts, type RatelimitScripts } from './scripts.js';

const OP_CODE: Record<BucketOp, string> = { consume: 'c', peek: 'p', refund: 'r' };
/**
 * Steps per script call. Bounds how long one call holds Redis (a few µs per step), and keeps
 * more than one call in flight at load, so that the client prepares the next call while
 * Redis runs this one (measured at 32 concurrent checks: 16 beat 8 and 32).
 */
const MAX_BATCH = 16;

// A limit's parameters as the script reads them, formatted once per parameter object: the
// limiter hands the same object for the same limit definition (tiers, limit sets, overrides),
// so the steady state formats nothing.
const formatted = new WeakMap<BucketParams, readonly [string, string, string]>();

function paramsArgs(params: BucketParams): readonly [string, string, string] {
  let args = formatted.get(params);
  if (args === undefined) {
    args = [String(params.unitsPerToken), String(params.refillPerMicro), String(params.capacity)];
    formatted.set(params, args);
  }
  return args;
}

interface Step {
  key: string;
  op: string;
  cost: number;
  limits: readonly BucketLimit[];
  resolve(answer: BucketAnswer): void;
  reject(err: unknown): void;
}

/** Same limits in the same order (the limiter hands the same objects for the same definitions). */
function sameLimits(a: readonly BucketLimit[], b: readonly BucketLimit[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && (a[i]!.name !== b[i]!.name || !sameParams(a[i]!.params, b[i]!.params))) return false;
  return true;
}

function sameParams(a: BucketParams, b: BucketParams): boolean {
  return a === b || (a.unitsPerToken === b.unitsPerToken && a.refillPerMicro === b.refillPerMicro && a.capacity === b.capacity);
}

/**
 * Token buckets in Redis: one hash per owner, one script step per check however many limits
 * apply (bucket-script.ts). Checks issued in the same turn of the event loop (concurrent
 * requests) go to Redis as script calls of up to MAX_BATCH steps, which run one after
 * another exactly as separate calls would, but share one round trip, one command, one TIME
 * and one copy of each distinct limit list: at load that is most of what a call costs, on
 * both sides. A lone check waits for nothing but the end of the current turn. Against Redis
 * Cluster each check is its own call (the owners of one call would have to share a slot).
 */
export class RedisBucketStore implements BucketStore {
  readonly #scripts: RatelimitScripts;
  readonly #batch: boolean;
  readonly #maxBatch: number;
  #queue: Step[] = [];
  #scheduled = false;

  /** `batch: false` sends every check as its own call (always so on Redis Cluster); `maxBatch`: steps per call. */
  constructor(client: RedisClient, opts: { batch?: boolean; maxBatch?: number } = {}) {
    this.#scripts = withScripts(client);
    this.#batch = opts.batch !== false && !client.isCluster;
    this.#maxBatch = opts.maxBatch ?? MAX_BATCH;
  }

  apply(op: BucketOp, owner: BucketOwner, limits: readonly BucketLimit[], cost: number): Promise<BucketAnswer> {
    return new Promise<BucketAnswer>((resolve, reject) => {
      const step: Step = { key: bucketsKey(owner), op: OP_CODE[op], cost, limits, resolve, reject };
      if (!this.#batch) {
        this.send([step]);
        return;
      }
      this.#queue.push(step);
      if (this.#queue.length >= this.#maxBatch) this.flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const steps = this.#queue;
    if (steps.length === 0) return;
    this.#queue = [];
    this.send(steps);
  }

  private send(steps: readonly Step[]): void {
    const m = steps.length;
    // The distinct limit lists of the call (usually one: a tier), each sent once.
    const lists: (readonly BucketLimit[])[] = [];
    const listOf = new Array<number>(m);
    let size = 2 + 4 * m;
    for (let s = 0; s < m; s++) {
      const limits = steps[s]!.limits;
      let index = lists.findIndex((list) => sameLimits(list, limits));
      if (index < 0) {
        index = lists.push(limits) - 1;
        size += 1 + 4 * limits.length;
      }
      listOf[s] = index + 1;
    }
    const args = new Array<string | number>(size);
    args[0] = m;
    for (let s = 0; s < m; s++) args[1 + s] = steps[s]!.key;
    let at = 1 + m;
    args[at++] = lists.length;
    for (const limits of lists) {
      const n = limits.length;
      args[at] = n;
      let p = at + 1 + n;
      for (let i = 0; i < n; i++) {
        const limit = limits[i]!;
        const [unitsPerToken, refillPerMicro, capacity] = paramsArgs(limit.params);
        args[at + 1 + i] = limit.name;
        args[p++] = unitsPerToken;
        args[p++] = refillPerMicro;
        args[p++] = capacity;
      }
      at = p;
    }
    for (let s = 0; s < m; s++) {
      const step = steps[s]!;
      args[at++] = step.op;
      args[at++] = step.cost;
      args[at++] = listOf[s]!;
    }
    this.#scripts.aegisRlBucket(...args).then(
      (reply) => {
        const values = reply as number[];
        let pos = 0;
        for (const step of steps) {
          const n = step.limits.length;
          step.resolve({ allowed: values[pos] === 1, used: values.slice(pos + 1, pos + 1 + n) });
          pos += 1 + n;
        }
      },
      (err: unknown) => {
        for (const step of steps) step.reject(err);
      },
    );
  }
}
