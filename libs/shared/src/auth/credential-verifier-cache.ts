import { createHash } from 'node:crypto';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';

// The interceptor's local memory of API-key verdicts, in front of auth's VerifyApiKey. Push
// invalidation (credential events) is what makes a revoked key fail within a second; the TTL,
// at most one second, only bounds the damage of a missed event. Verifications of the same key
// that overlap share one call to auth.

export type ApiKeyVerdict =
  | { valid: true; principal: Principal; keyId: string; /** Epoch ms the key stops verifying, if it expires. */ expiresAt?: number }
  | { valid: false; refusal: ApiKeyRefusal; keyId?: string; retryAfterMs?: number };

export type ApiKeyRefusal = 'invalid' | 'revoked' | 'expired' | 'disabled' | 'owner_disabled' | 'throttled';

export interface ApiKeyVerdictCacheOptions {
  /** Capped at 1000 (default 1000). 0 disables caching (overlapping calls are still shared). */
  ttlMs?: number;
  /** Default 10 000; the oldest entry makes room. */
  maxEntries?: number;
  now?: () => number;
}

export const MAX_VERDICT_TTL_MS = 1000;

interface Entry {
  verdict: ApiKeyVerdict;
  expiresAt: number;
}

export class ApiKeyVerdictCache {
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<ApiKeyVerdict>>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  // Bumped by every invalidation: a verification that started before one must not store its
  // (possibly stale) verdict.
  #generation = 0;

  constructor(opts: ApiKeyVerdictCacheOptions = {}) {
    this.#ttlMs = Math.max(0, Math.min(opts.ttlMs ?? MAX_VERDICT_TTL_MS, MAX_VERDICT_TTL_MS));
    this.#max = opts.maxEntries ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  /** The cached verdict for `key`, or the one `verify` produces (shared with overlapping calls). */
  async get(key: string, verify: () => Promise<ApiKeyVerdict>): Promise<ApiKeyVerdict> {
    // Keys are held only as digests: a heap dump of a service shows no usable key.
    const id = createHash('sha256').update(key).digest('base64');
    const now = this.#now();
    const entry = this.#entries.get(id);
    if (entry !== undefined) {
      if (entry.expiresAt > now) return entry.verdict;
      this.#entries.delete(id);
    }
    const pending = this.#inFlight.get(id);
    if (pending !== undefined) return pending;
    const generation = this.#generation;
    const call = verify().finally(() => this.#inFlight.delete(id));
    this.#inFlight.set(id, call);
    const verdict = await call;
    if (generation === this.#generation) this.#store(id, verdict);
    return verdict;
  }

  /** An API key changed (revoked, disabled, rotated, edited). */
  dropKey(keyId: string): void {
    this.#drop((v) => v.keyId === keyId || (v.valid && v.principal.apiKeyId === keyId));
  }

  /** A user was disabled or lost roles: every key they own. */
  dropUser(tenantId: string, userId: string): void {
    this.#drop((v) => v.valid && v.principal.tenantId === tenantId && v.principal.userId === userId);
  }

  /** Events may have been missed (pub/sub reconnected): trust nothing cached. */
  clear(): void {
    this.#generation++;
    this.#entries.clear();
    this.#inFlight.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  #drop(matches: (verdict: ApiKeyVerdict) => boolean): void {
    this.#generation++;
    // Invalidations are rare next to verifications; a scan of at most maxEntries is fine.
    for (const [id, entry] of this.#entries) if (matches(entry.verdict)) this.#entries.delete(id);
    // Overlapping calls started before the change would hand their stale verdict to newcomers.
    this.#inFlight.clear();
  }

  #store(id: string, verdict: ApiKeyVerdict): void {
    // A throttled answer is about the source, not the key; never reuse it for another caller.
    if (this.#ttlMs === 0 || (!verdict.valid && verdict.refusal === 'throttled')) return;
    const now = this.#now();
    const expiresAt = Math.min(now + this.#ttlMs, verdict.valid && verdict.expiresAt !== undefined ? verdict.expiresAt : Number.POSITIVE_INFINITY);
    if (expiresAt <= now) return;
    this.#entries.delete(id);
    this.#entries.set(id, { verdict, expiresAt });
    while (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as string);
  }
}
