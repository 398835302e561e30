import { createHmac, randomBytes } from 'node:crypto';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';

// What the guard verified through auth (VerifyApiKey, IntrospectToken), reused while auth's
// credential events reach this process (credential-watch.ts): an event drops what it names,
// losing the stream drops everything. Only positive answers are kept: a refused credential
// always goes back to auth, so its failure throttling sees every attempt.

export interface CredentialCacheOptions {
  /** Longest reuse of one verification (default 60 000 ms); never past the credential's own expiry. */
  ttlMs?: number;
  /** Most credentials remembered (default 10 000); the least recently used make room. */
  maxEntries?: number;
  now?: () => number;
}

/** A verification worth remembering. */
export interface Verified {
  principal: Principal;
  /** Epoch ms the credential stops verifying, if it expires. */
  expiresAt?: number;
  /** An access token's `jti`. */
  jti?: string;
}

interface Entry extends Verified {
  until: number;
}

export const DEFAULT_CREDENTIAL_TTL_MS = 60_000;
export const DEFAULT_CREDENTIAL_MAX_ENTRIES = 10_000;

export class VerifiedCredentialCache {
  readonly #entries = new Map<string, Entry>();
  // Per process: a digest means nothing elsewhere, and a heap dump shows no usable credential.
  readonly #hmacKey = randomBytes(32);
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  #live = false;
  // Bumped by every event and every loss of the stream: a verification that started before
  // one must not store its (possibly stale) answer.
  #generation = 0;

  constructor(opts: CredentialCacheOptions = {}) {
    this.#ttlMs = Math.max(0, opts.ttlMs ?? DEFAULT_CREDENTIAL_TTL_MS);
    this.#max = Math.max(1, opts.maxEntries ?? DEFAULT_CREDENTIAL_MAX_ENTRIES);
    this.#now = opts.now ?? Date.now;
  }

  /** Whether the event stream is live, i.e. whether anything cached may be used. */
  get live(): boolean {
    return this.#live;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The stream is subscribed: from now on every revocation reaches this cache. */
  goLive(): void {
    this.clear();
    this.#live = true;
  }

  /** The stream is gone: events may be missed, so nothing cached is trusted. */
  goDark(): void {
    this.#live = false;
    this.clear();
  }

  /** The principal `credential` verified as, if it is remembered and may be reused for `tenantId` ('' = any). */
  lookup(credential: string, tenantId: string): Principal | undefined {
    if (!this.#live) return undefined;
    const id = this.#digest(credential);
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.until <= this.#now()) {
      this.#entries.delete(id);
      return undefined;
    }
    // Another tenant's answer is auth's to give (NOT_FOUND, inactive): ask it.
    if (tenantId !== '' && entry.principal.tenantId !== tenantId) return undefined;
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return entry.principal;
  }

  /** Taken before asking auth; `undefined` when the answer must not be cached (stream not live). */
  ticket(): number | undefined {
    return this.#live ? this.#generation : undefined;
  }

  /** Remembers a positive answer obtained with `ticket`, unless something changed meanwhile. */
  remember(ticket: number | undefined, credential: string, verified: Verified): void {
    if (ticket === undefined || !this.#live || ticket !== this.#generation || this.#ttlMs === 0) return;
    const now = this.#now();
    const until = Math.min(now + this.#ttlMs, verified.expiresAt ?? Number.POSITIVE_INFINITY);
    if (until <= now) return;
    const id = this.#digest(credential);
    this.#entries.delete(id);
    this.#entries.set(id, { ...verified, until });
    while (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  /** An API key changed (revoked, disabled, rotated, edited). */
  dropApiKey(tenantId: string, keyId: string): void {
    this.#drop((e) => e.principal.tenantId === tenantId && e.principal.apiKeyId === keyId);
  }

  /** A user was disabled or lost roles: their keys and tokens. */
  dropUser(tenantId: string, userId: string): void {
    this.#drop((e) => e.principal.tenantId === tenantId && e.principal.userId === userId);
  }

  dropAccessToken(jti: string): void {
    this.#drop((e) => e.jti === jti);
  }

  dropSession(tenantId: string, sessionId: string): void {
    this.#drop((e) => e.principal.tenantId === tenantId && e.principal.sessionId === sessionId);
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
  }

  #drop(matches: (entry: Entry) => boolean): void {
    this.#generation++;
    // Events are rare next to verifications; a scan of at most maxEntries is fine.
    for (const [id, entry] of this.#entries) if (matches(entry)) this.#entries.delete(id);
  }

  #digest(credential: string): string {
    return createHmac('sha256', this.#hmacKey).update(credential).digest('base64');
  }
}
