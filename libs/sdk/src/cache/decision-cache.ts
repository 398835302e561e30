import type { Decision } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { evictOldest } from './evict-oldest.js';

export interface DecisionCacheLimits {
  /** Entries kept; the least recently used go first (default 10 000). */
  maxEntries?: number;
  /** Longest reuse of an allow, whatever policy offers (default 5 s, the platform's own bound). */
  maxTtlMs?: number;
  /** Longest reuse of a deny (default 1 s, as the platform's own caches). */
  maxDenyTtlMs?: number;
  now?: () => number;
}

export const DEFAULT_DECISION_CACHE_ENTRIES = 10_000;
export const DEFAULT_DECISION_MAX_TTL_MS = 5_000;
export const DEFAULT_DECISION_MAX_DENY_TTL_MS = 1_000;

interface Entry {
  tenantId: string;
  decision: Decision;
  expiresAt: number;
}

/**
 * Recent Check answers, trusted only while a change stream vouches for them. Nothing is
 * answered or stored unless the cache is `open` (the stream is live); opening and closing
 * both start a new generation, and an answer asked in an earlier generation is never stored
 * (it may predate a change the stream did not see). Per tenant, the newest revision heard
 * from the stream is remembered: an answer made at an older revision (another policy instance
 * still reloading) is returned to its caller but not kept.
 */
export class DecisionCache {
  readonly #entries = new Map<string, Entry>();
  readonly #heard = new Map<string, bigint>();
  readonly #maxEntries: number;
  readonly #maxTtlMs: number;
  readonly #maxDenyTtlMs: number;
  readonly #now: () => number;
  #generation = 0;
  #open = false;
  // Undefined: every tenant; else the one tenant the stream covers.
  #scope: string | undefined;

  constructor(limits: DecisionCacheLimits = {}) {
    this.#maxEntries = Math.max(1, limits.maxEntries ?? DEFAULT_DECISION_CACHE_ENTRIES);
    this.#maxTtlMs = Math.max(0, limits.maxTtlMs ?? DEFAULT_DECISION_MAX_TTL_MS);
    this.#maxDenyTtlMs = Math.max(0, limits.maxDenyTtlMs ?? DEFAULT_DECISION_MAX_DENY_TTL_MS);
    this.#now = limits.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** The stream is live for `scope` (a tenant id, or undefined for all): start trusting it. */
  open(scope: string | undefined): void {
    this.#clear();
    this.#open = true;
    this.#scope = scope;
  }

  /** The stream is no longer live: forget everything and answer nothing until `open`. */
  close(): void {
    this.#clear();
    this.#open = false;
  }

  get(tenantId: string, key: string): Decision | undefined {
    if (!this.#open) return undefined;
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.tenantId !== tenantId) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#now()) return undefined;
    this.#entries.set(key, entry); // most recently used last
    return entry.decision;
  }

  /** Taken before asking policy; undefined while closed (the answer will not be kept). */
  ticket(): number | undefined {
    return this.#open ? this.#generation : undefined;
  }

  /** Keeps `decision` for min(`ttlMs` offered by policy, the local bound); 0 keeps nothing. */
  set(tenantId: string, key: string, decision: Decision, ttlMs: number, ticket: number | undefined): void {
    if (ticket === undefined || ticket !== this.#generation || !this.#open) return;
    if (this.#scope !== undefined && this.#scope !== tenantId) return;
    const bound = decision.effect === Effect.ALLOW ? this.#maxTtlMs : this.#maxDenyTtlMs;
    const ttl = Math.min(ttlMs, bound);
    if (!(ttl > 0)) return;
    if (decision.revision < (this.#heard.get(tenantId) ?? 0n)) return;
    this.#entries.delete(key);
    this.#entries.set(key, { tenantId, decision, expiresAt: this.#now() + ttl });
    evictOldest(this.#entries, this.#maxEntries);
  }

  /** The tenant now decides at `revision`: drop what was decided before it, refuse older answers. */
  changed(tenantId: string, revision: bigint): void {
    if (revision > (this.#heard.get(tenantId) ?? 0n)) {
      this.#heard.delete(tenantId);
      this.#heard.set(tenantId, revision);
      evictOldest(this.#heard, this.#maxEntries);
    }
    for (const [key, entry] of this.#entries) {
      if (entry.tenantId === tenantId && entry.decision.revision < revision) this.#entries.delete(key);
    }
  }

  #clear(): void {
    this.#generation += 1;
    this.#entries.clear();
  }
}
