import type { TokenPair } from '@aegis/proto/aegis/auth/v1/token_pb.js';
import { unauthenticated, type AegisError, type Logger } from '@aegis/shared';
import type { AccessTokenMinter, MintedAccessToken } from './access-token-minter.js';
import { familyActor, refreshTokenReusedEvent, tokenRefreshedEvent, tokenRevokedEvent, type TokenAudit } from './audit.js';
import { decideRefresh, nextRefreshExpiry, type RefreshRejection, type SubjectState } from './domain/refresh-family.js';
import { generateRefreshToken, looksLikeRefreshToken, refreshTokenDigest } from './domain/refresh-token-secret.js';
import type { FamilyRecord, SessionLiveness, SubjectDirectory, TokenLedger, TokenSubject } from './ports.js';
import { tokenPairOf } from './token-issuance.js';
import type { TokenRevocation } from './token-revocation.js';

export interface TokenRefreshDeps {
  ledger: TokenLedger;
  subjects: SubjectDirectory;
  sessions: SessionLiveness;
  minter: AccessTokenMinter;
  revocation: TokenRevocation;
  audit: TokenAudit;
  logger: Logger;
  refreshTtlMs: number;
  now?: () => Date;
}

// Said to the caller. Deliberately vague between "unknown" and "another tenant's".
const REJECTION_MESSAGES: Record<RefreshRejection | 'unknown', string> = {
  unknown: 'the refresh token is not valid',
  tenant_mismatch: 'the refresh token is not valid',
  expired: 'the refresh token has expired',
  family_revoked: 'the refresh token has been revoked',
  subject_disabled: 'the user may no longer sign in',
};

/**
 * RefreshToken: spends the presented refresh token and returns new tokens, or refuses with
 * Unauthenticated. A spent token presented again revokes its whole family (audited as
 * `refresh_token.reused`), including the access tokens minted from it.
 */
export class TokenRefresh {
  readonly #deps: TokenRefreshDeps;
  readonly #now: () => Date;

  constructor(deps: TokenRefreshDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  async refresh(token: string, expectedTenant: string | undefined): Promise<TokenPair> {
    if (!looksLikeRefreshToken(token)) throw refused('unknown');
    const digest = refreshTokenDigest(token);
    const { ledger, subjects, sessions } = this.#deps;
    // Read outside the redeeming transaction (which may not query anything else); a change in
    // between is covered by the revocations that change triggers, which lock the same family.
    const found = (await ledger.findRefreshToken(digest))?.family;
    if (found === undefined) throw refused('unknown');
    const subject = await subjects.get(found.tenantId, found.userId);
    const session = found.sessionId === null ? undefined : await sessions.get(found.tenantId, found.sessionId);
    const state: SubjectState = {
      disabled: subject === undefined || subject.disabled,
      sessionEnded: found.sessionId !== null && session?.live !== true,
    };
    const now = this.#now();

    const outcome = await ledger.redeem(
      digest,
      now,
      (ctx) => decideRefresh(ctx.token, ctx.family, state, now, expectedTenant),
      async (ctx) => this.#mint(ctx.family, ctx.token.generation + 1, subject!, now),
    );

    switch (outcome.kind) {
      case 'unknown':
        throw refused('unknown');
      case 'rejected':
        throw refused(outcome.reason);
      case 'family_revoked': {
        const { family, reason, revokedAccess } = outcome;
        if (reason === 'reuse') {
          this.#deps.logger.warn({ familyId: family.id, tenantId: family.tenantId, userId: family.userId }, 'refresh-token reuse: family revoked');
          await this.#deps.audit.publish(refreshTokenReusedEvent(family, revokedAccess.length));
        } else {
          await this.#deps.audit.publish(tokenRevokedEvent(family.tenantId, familyActor(family), { kind: 'refresh_token_family', id: family.id }, { families: 1, accessTokens: revokedAccess.length }));
        }
        try {
          await this.#deps.revocation.announceAccessTokens(revokedAccess, now);
        } catch (err) {
          // Stored and audited; the caller's answer stays Unauthenticated either way.
          this.#deps.logger.error({ err, familyId: family.id }, 'could not announce the access tokens of a revoked family');
        }
        throw reason === 'reuse'
          ? unauthenticated('the refresh token was already used: its whole token family has been revoked')
          : unauthenticated('the session has ended');
      }
      case 'rotated': {
        const { family, minted } = outcome;
        if (family.sessionId !== null) {
          await sessions.recordRefresh(family.tenantId, family.sessionId, now).catch((err: unknown) => {
            this.#deps.logger.warn({ err, sessionId: family.sessionId }, 'could not record the refresh on the session');
          });
        }
        await this.#deps.audit.publish(tokenRefreshedEvent(family, minted.access, minted.next.generation));
        return tokenPairOf(minted.signed, { token: minted.token, expireTime: minted.next.expireTime });
      }
    }
  }

  async #mint(family: FamilyRecord, generation: number, subject: TokenSubject, now: Date) {
    const access: MintedAccessToken = await this.#deps.minter.mint({
      subject: {
        tenantId: family.tenantId,
        userId: family.userId,
        // Current roles, not the ones of the first login: a role removed since is gone from the new token.
        roles: subject.roles,
        scopes: family.scopes,
        ...(family.sessionId !== null ? { sessionId: family.sessionId } : {}),
        amr: family.amr,
      },
      audience: family.audience,
      ttlMs: family.accessTtlMs,
      now,
      familyId: family.id,
    });
    const token = generateRefreshToken();
    const next = { digest: refreshTokenDigest(token), generation, createTime: now, expireTime: nextRefreshExpiry(family, now, this.#deps.refreshTtlMs) };
    // `next` and `access` are what the ledger stores; `token` and `signed` go to the caller only.
    return { next, access: access.record, token, signed: access };
  }
}

function refused(reason: RefreshRejection | 'unknown'): AegisError {
  return unauthenticated(REJECTION_MESSAGES[reason]);
}
