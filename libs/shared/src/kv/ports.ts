/**
 * Small shared state with expiry: single-use OAuth state, negative caches, failure counters,
 * revoked token ids. Redis when configured (shared by every instance), in-memory otherwise
 * (one process). Keys are namespaced by the store's prefix.
 */
export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets only if absent; true when this call set it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Atomically reads and deletes: the value is returned to exactly one caller (single-use tokens). */
  take(key: string): Promise<string | undefined>;
  delete(key: string): Promise<void>;
  /** Adds 1 and returns the new count; the window (ttl) starts with the first increment. */
  increment(key: string, windowMs: number): Promise<number>;
}

/** Fire-and-forget messages to every instance of a service (cache invalidation). */
export interface Broadcast {
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once subscribed; returns an unsubscribe function. `onReconnect` runs after a lost connection came back (messages may have been missed). */
  subscribe(channel: string, handler: (message: string) => void, opts?: { onReconnect?: () => void }): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
