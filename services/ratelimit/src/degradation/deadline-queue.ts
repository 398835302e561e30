// Deadlines of one fixed length expire in the order they were set, so a single timer, armed
// for the oldest one still pending, serves them all: a guarded Redis step costs a small
// object instead of a timer, a deadline promise and a race per call.

export interface Deadline {
  /** True once settled or expired. */
  readonly done: boolean;
}

interface Entry {
  done: boolean;
  readonly at: number;
  readonly expire: () => void;
}

const COMPACT_AFTER = 1024;

export class DeadlineQueue {
  #entries: Entry[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly ms: number) {}

  /** Calls `expire` after `ms` unless the returned deadline is settled first. */
  add(expire: () => void): Deadline {
    const entry: Entry = { at: performance.now() + this.ms, expire, done: false };
    this.#entries.push(entry);
    if (this.#timer === undefined) this.arm(entry.at);
    return entry;
  }

  /**
   * Marks `deadline` settled: it will not fire. False when it already had (the work is late).
   * Settled deadlines at the head are dropped at once: Redis answers a connection's commands
   * in order, so the queue holds little more than the calls in flight.
   */
  settle(deadline: Deadline): boolean {
    const entry = deadline as Entry;
    if (entry.done) return false;
    entry.done = true;
    const entries = this.#entries;
    while (this.#head < entries.length && entries[this.#head]!.done) this.#head++;
    if (this.#head === entries.length) {
      entries.length = 0;
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER && this.#head * 2 >= entries.length) {
      this.#entries = entries.slice(this.#head);
      this.#head = 0;
    }
    return true;
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#entries = [];
    this.#head = 0;
  }

  private arm(at: number): void {
    this.#timer = setTimeout(() => this.fire(), Math.max(0, Math.ceil(at - performance.now())));
    // Pending work keeps the process alive on its own; the timer need not.
    this.#timer.unref();
  }

  private fire(): void {
    this.#timer = undefined;
    const now = performance.now();
    const entries = this.#entries;
    while (this.#head < entries.length) {
      const entry = entries[this.#head]!;
      if (!entry.done && entry.at > now) break;
      this.#head++;
      if (!entry.done) {
        entry.done = true;
        entry.expire();
      }
    }
    if (this.#head === entries.length) {
      entries.length = 0;
      this.#head = 0;
      return;
    }
    this.arm(entries[this.#head]!.at);
  }
}
