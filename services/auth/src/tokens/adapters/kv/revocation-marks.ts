import type { KeyValueStore } from '@aegis/shared';

// Revocations of access tokens in the service's shared key-value store (Redis, or memory in
// embedded mode), each kept exactly as long as a token it concerns could still be presented.
// The database is the authority (IntrospectToken reads it); these marks are the fast copy an
// in-process verifier (`isRevoked`) can consult, and what an instance that started after the
// announcement on credentialEvents still finds.

// Beyond exp: a verifier's clock tolerance would otherwise let a revoked token back in.
const CLOCK_TOLERANCE_MS = 60_000;

export class RevocationMarks {
  constructor(private readonly kv: KeyValueStore) {}

  async revokeJti(jti: string, expiresAt: Date, now: Date): Promise<void> {
    await this.kv.set(`revoked:jti:${jti}`, '1', ttl(expiresAt, now));
  }

  async revokeSession(tenantId: string, sessionId: string, until: Date, now: Date): Promise<void> {
    await this.kv.set(`revoked:sid:${tenantId}:${sessionId}`, '1', ttl(until, now));
  }

  /** Tokens of the user issued before `at` are refused until `until`. */
  async revokeUserBefore(tenantId: string, userId: string, at: Date, until: Date, now: Date): Promise<void> {
    await this.kv.set(`revoked:user:${tenantId}:${userId}`, String(at.getTime()), ttl(until, now));
  }

  /** The `isRevoked` of createAccessTokenVerifier, from the marks alone. */
  async isRevoked(claims: { jti: string; sid?: string; sub: string; tenant: string; iat: number }): Promise<boolean> {
    const [jti, sid, user] = await Promise.all([
      this.kv.get(`revoked:jti:${claims.jti}`),
      claims.sid === undefined ? undefined : this.kv.get(`revoked:sid:${claims.tenant}:${claims.sid}`),
      this.kv.get(`revoked:user:${claims.tenant}:${claims.sub}`),
    ]);
    // iat is whole seconds: a token issued in the same second as the cut-off counts as before it.
    return jti !== undefined || sid !== undefined || (user !== undefined && claims.iat * 1000 <= Number(user));
  }
}

function ttl(until: Date, now: Date): number {
  return Math.max(1_000, until.getTime() - now.getTime() + CLOCK_TOLERANCE_MS);
}
