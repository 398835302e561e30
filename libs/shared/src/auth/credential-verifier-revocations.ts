// What makes a locally verified access token unacceptable before it expires, learnt from
// credential events: revoked token ids, ended sessions, and users locked out (disabled, or
// lost roles) at a point in time. Kept in memory until no token it could refuse is still
// alive, bounded so a flood of events cannot exhaust memory.

export interface RevocationListOptions {
  /** Per kind (default 100 000). Past it the oldest entries go first, with a warning. */
  maxEntries?: number;
  /**
   * How long a user lock-out is remembered (default 24 h): at least the longest access-token
   * lifetime, so every token issued before the lock-out has expired when it is forgotten.
   */
  userLockOutRetentionMs?: number;
  now?: () => number;
  /** Told when a still-live entry had to be dropped for room (security-relevant). */
  onEviction?: (kind: 'token' | 'session' | 'user') => void;
}

/** The claims revocation is decided on (what `createAccessTokenVerifier` passes to `isRevoked`). */
export interface RevocationClaims {
  jti: string;
  sid?: string;
  sub: string;
  tenant: string;
  /** Seconds since the epoch. */
  iat: number;
}

const DEFAULT_MAX_ENTRIES = 100_000;
const DEFAULT_USER_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * Credential events carry epoch milliseconds; a value in seconds (below 10^12, i.e. before
 * 2001 in ms) is read as seconds so a producer's unit slip cannot make an entry expire at once.
 */
export function epochMs(value: number): number {
  return value < 1e12 ? value * 1000 : value;
}

export class RevocationList {
  // Insertion order is age order: eviction takes from the front.
  readonly #tokens = new Map<string, number>();
  readonly #sessions = new Map<string, number>();
  readonly #users = new Map<string, { at: number; forgetAt: number }>();
  readonly #max: number;
  readonly #userRetentionMs: number;
  readonly #now: () => number;
  readonly #onEviction: ((kind: 'token' | 'session' | 'user') => void) | undefined;

  constructor(opts: RevocationListOptions = {}) {
    this.#max = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#userRetentionMs = opts.userLockOutRetentionMs ?? DEFAULT_USER_RETENTION_MS;
    this.#now = opts.now ?? Date.now;
    this.#onEviction = opts.onEviction;
  }

  revokeToken(jti: string, expiresAt: number): void {
    this.#add(this.#tokens, jti, epochMs(expiresAt), 'token', (e) => e);
  }

  revokeSession(tenantId: string, sessionId: string, expiresAt: number): void {
    this.#add(this.#sessions, `${tenantId}/${sessionId}`, epochMs(expiresAt), 'session', (e) => e);
  }

  /** Tokens of the user issued at or before `at` (epoch ms) are refused. */
  lockOutUser(tenantId: string, userId: string, at: number): void {
    const key = `${tenantId}/${userId}`;
    const atMs = epochMs(at);
    const previous = this.#users.get(key);
    // A later lock-out covers an earlier one; never move the line back.
    if (previous !== undefined && previous.at >= atMs) return;
    this.#users.delete(key);
    this.#add(this.#users, key, { at: atMs, forgetAt: atMs + this.#userRetentionMs }, 'user', (e) => e.forgetAt);
  }

  isRevoked(claims: RevocationClaims): boolean {
    const now = this.#now();
    if (live(this.#tokens.get(claims.jti), now)) return true;
    if (claims.sid !== undefined && live(this.#sessions.get(`${claims.tenant}/${claims.sid}`), now)) return true;
    const lockOut = this.#users.get(`${claims.tenant}/${claims.sub}`);
    // `iat` has whole seconds: a token from the same second as the lock-out may predate it, so it goes too.
    return lockOut !== undefined && lockOut.forgetAt > now && claims.iat * 1000 <= lockOut.at;
  }

  get size(): number {
    return this.#tokens.size + this.#sessions.size + this.#users.size;
  }

  #add<V>(map: Map<string, V>, key: string, value: V, kind: 'token' | 'session' | 'user', expiry: (v: V) => number): void {
    const now = this.#now();
    if (expiry(value) <= now) return;
    map.set(key, value);
    if (map.size <= this.#max) return;
    for (const [k, v] of map) if (expiry(v) <= now) map.delete(k);
    while (map.size > this.#max) {
      const oldest = map.keys().next().value as string;
      map.delete(oldest);
      this.#onEviction?.(kind);
    }
  }
}

function live(expiresAt: number | undefined, now: number): boolean {
  return expiresAt !== undefined && expiresAt > now;
}
