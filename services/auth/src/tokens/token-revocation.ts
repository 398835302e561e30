import { unavailable, type ActorInit, type CredentialEvents, type Logger } from '@aegis/shared';
import type { CredentialInvalidation } from '../module-ports.js';
import type { RevocationMarks } from './adapters/kv/revocation-marks.js';
import { AUTH_SERVICE_ACTOR, tokenRevokedEvent, type TokenAudit } from './audit.js';
import type { FamilyRevokeReason } from './domain/refresh-family.js';
import type { AccessTokenRecord, FamilyRecord, TokenLedger } from './ports.js';

export interface TokenRevocationDeps {
  ledger: TokenLedger;
  marks: RevocationMarks;
  credentialEvents: CredentialEvents;
  audit: TokenAudit;
  logger: Logger;
  /** Longest possible access-token lifetime: how long a session or user cut-off must be remembered. */
  maxAccessTokenTtlMs: number;
  now?: () => Date;
}

/**
 * Ends tokens before their time: in the ledger (the authority, read by IntrospectToken), as
 * marks in the shared key-value store, and announced on the platform's credential events so
 * every service's interceptor refuses them within a second. Announcing is repeated on every
 * call, so a caller retrying after a failed announcement completes it.
 */
export class TokenRevocation implements CredentialInvalidation {
  readonly #deps: TokenRevocationDeps;
  readonly #now: () => Date;

  constructor(deps: TokenRevocationDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /** RevokeToken on an access token (by value or jti). */
  async revokeAccessToken(record: AccessTokenRecord, actor: ActorInit): Promise<void> {
    const now = this.#now();
    const changed = await this.#deps.ledger.revokeAccessToken(record.jti, now);
    if (record.expireTime > now) await this.announceAccessTokens([record], now);
    if (changed) await this.#deps.audit.publish(tokenRevokedEvent(record.tenantId, actor, { kind: 'access_token', id: record.jti }, { families: 0, accessTokens: 1 }));
  }

  /** RevokeToken on a refresh token: its family, and the access tokens minted from it. */
  async revokeFamily(family: FamilyRecord, reason: FamilyRevokeReason, actor: ActorInit): Promise<void> {
    const now = this.#now();
    const { families, revokedAccess } = await this.#deps.ledger.revokeFamilies({ familyId: family.id }, reason, now);
    await this.announceAccessTokens(revokedAccess, now);
    if (families.length > 0) {
      await this.#deps.audit.publish(tokenRevokedEvent(family.tenantId, actor, { kind: 'refresh_token_family', id: family.id }, { families: families.length, accessTokens: revokedAccess.length }));
    }
  }

  /** TokenIssuer.revokeSession: the session's families and every live access token carrying its sid. */
  async revokeSession(tenantId: string, sessionId: string, actor: ActorInit = AUTH_SERVICE_ACTOR): Promise<void> {
    const now = this.#now();
    const { families, revokedAccess } = await this.#deps.ledger.revokeFamilies({ tenantId, sessionId }, 'session_ended', now);
    // Tokens with this sid may exist beyond what the ledger found (issued by an instance whose
    // write is still in flight): the session mark covers them all, up to the longest lifetime.
    const until = new Date(now.getTime() + this.#deps.maxAccessTokenTtlMs);
    await this.#announce(async () => {
      await this.#deps.marks.revokeSession(tenantId, sessionId, until, now);
      await this.#deps.credentialEvents.publish({ kind: 'session', tenantId, sessionId, expiresAt: until.getTime() });
    });
    if (families.length > 0 || revokedAccess.length > 0) {
      await this.#deps.audit.publish(tokenRevokedEvent(tenantId, actor, { kind: 'session', id: sessionId }, { families: families.length, accessTokens: revokedAccess.length }));
    }
  }

  /** CredentialInvalidation: a disabled or removed user keeps no refresh family and no live access token. */
  async invalidateUser(tenantId: string, userId: string): Promise<void> {
    const now = this.#now();
    const { families } = await this.#deps.ledger.revokeFamilies({ tenantId, userId }, 'user_invalidated', now);
    const accessTokens = await this.#deps.ledger.revokeUserAccessTokens(tenantId, userId, now);
    const until = new Date(now.getTime() + this.#deps.maxAccessTokenTtlMs);
    await this.#announce(async () => {
      await this.#deps.marks.revokeUserBefore(tenantId, userId, now, until, now);
      await this.#deps.credentialEvents.publish({ kind: 'user', tenantId, userId, at: now.getTime() });
    });
    if (families.length > 0 || accessTokens.length > 0) {
      await this.#deps.audit.publish(tokenRevokedEvent(tenantId, AUTH_SERVICE_ACTOR, { kind: 'user', id: userId }, { families: families.length, accessTokens: accessTokens.length }));
    }
  }

  /** Marks and announces access tokens revoked in the ledger (a family's, on reuse or revocation). */
  async announceAccessTokens(records: readonly AccessTokenRecord[], now: Date = this.#now()): Promise<void> {
    const live = records.filter((r) => r.expireTime > now);
    if (live.length === 0) return;
    await this.#announce(async () => {
      await Promise.all(live.map((r) => this.#deps.marks.revokeJti(r.jti, r.expireTime, now)));
      await Promise.all(live.map((r) => this.#deps.credentialEvents.publish({ kind: 'access_token', tenantId: r.tenantId, jti: r.jti, expiresAt: r.expireTime.getTime() })));
    });
  }

  /** The ledger already holds the revocation; failing to spread it is Unavailable so the caller retries. */
  async #announce(spread: () => Promise<void>): Promise<void> {
    try {
      await spread();
    } catch (err) {
      this.#deps.logger.error({ err }, 'a revocation was stored but could not be announced to the other services');
      throw unavailable('the revocation is stored but could not be announced yet; retry the call', { cause: err });
    }
  }
}
