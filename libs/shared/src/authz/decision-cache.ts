import type { PermissionDecision } from './permission-decider.js';

export interface DecisionCacheOptions {
  /** How long an allow is reused (default 5 s; 0 turns caching of allows off). */
  ttlMs?: number;
  /** How long a deny is reused (default 1 s; 0 turns caching of denies off). */
  denyTtlMs?: number;
  /** Entries kept; the least recently used go first (default 10 000). */
  maxEntries?: number;
  now?: () => number;
}

export const DEFAULT_DECISION_TTL_MS = 5_000;
export const DEFAULT_DENY_TTL_MS = 1_000;
export const DEFAULT_DECISION_CACHE_ENTRIES = 10_000;

interface Entry {
  tenantId: string;
  decision: PermissionDecision;
  expiresAt: number;
}

/**
 * Recent decisions of this process, so a hot RPC does not ask policy every time. Bounded (LRU)
 * and short-lived; a tenant's entries go as soon as a policy-change notice for the tenant
 * arrives, and everything goes when notices may have been missed (`clear`).
 *
 * A question in flight while its tenant's policy changes must not put the old answer back:
 * the versions heard in notices are remembered, and an answer older than the newest one heard
 * is returned to its caller but never stored; `clear` likewise voids answers asked before it
 * (`ticket`). Another policy instance may still be reloading when the first notice arrives.
 */
export class DecisionCache {
  readonly #entries = new Map<string, Entry>();
  // Newest policy version heard per tenant (bounded like the entries).
  readonly #heard = new Map<string, bigint>();
  readonly #ttlMs: number;
  readonly #denyTtlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  #generation = 0;

  constructor(opts: DecisionCacheOptions = {}) {
    this.#ttlMs = opts.ttlMs ?? DEFAULT_DECISION_TTL_MS;
    this.#denyTtlMs = opts.denyTtlMs ?? DEFAULT_DENY_TTL_MS;
    this.#maxEntries = Math.max(1, opts.maxEntries ?? DEFAULT_DECISION_CACHE_ENTRIES);
    this.#now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): PermissionDecision | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#now()) return undefined;
    this.#entries.set(key, entry); // most recently used last
    return entry.decision;
  }

  /** Taken before asking the decider; `set` ignores an answer whose ticket a `clear` voided. */
  ticket(): number {
    return this.#generation;
  }

  set(tenantId: string, key: string, decision: PermissionDecision, ticket: number): void {
    const ttl = decision.allowed ? this.#ttlMs : this.#denyTtlMs;
    if (ttl <= 0 || ticket !== this.#generation) return;
    if (decision.policyVersion < (this.#heard.get(tenantId) ?? 0n)) return;
    this.#entries.delete(key);
    this.#entries.set(key, { tenantId, decision, expiresAt: this.#now() + ttl });
    evictOldest(this.#entries, this.#maxEntries);
  }

  /**
   * The tenant's policy changed: drop its decisions made before `policyVersion` (all of them
   * when the version is unknown) and refuse older answers from now on.
   */
  invalidateTenant(tenantId: string, policyVersion?: bigint): void {
    if (policyVersion !== undefined && policyVersion > (this.#heard.get(tenantId) ?? 0n)) {
      this.#heard.delete(tenantId);
      this.#heard.set(tenantId, policyVersion);
      evictOldest(this.#heard, this.#maxEntries);
    }
    for (const [key, entry] of this.#entries) {
      if (entry.tenantId === tenantId && (policyVersion === undefined || entry.decision.policyVersion < policyVersion)) {
        this.#entries.delete(key);
      }
    }
  }

  /** Notices may have been missed (the broadcast reconnected): forget every decision. */
  clear(): void {
    this.#generation += 1;
    this.#entries.clear();
  }
}

function evictOldest<V>(map: Map<string, V>, max: number): void {
  while (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) return;
    map.delete(oldest);
  }
}
