// A bounded in-process cache with a per-entry lifetime, least recently used evicted first.
// Pure (the clock is passed in) so eviction and expiry are tested without waiting. A Map
// keeps insertion order: re-inserting on a hit moves an entry to the young end.

export class KeyRecordCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string, nowMs: number): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= nowMs) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, ttlMs: number, nowMs: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: nowMs + ttlMs });
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  /** Drops every entry whose value matches (a user's keys); returns how many. */
  deleteWhere(matches: (value: V) => boolean): number {
    let dropped = 0;
    for (const [key, entry] of this.#entries) {
      if (matches(entry.value)) {
        this.#entries.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  clear(): void {
    this.#entries.clear();
  }
}
