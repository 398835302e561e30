import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { uuidv7 } from 'uuidv7';
import { type TokenPair, TokenPairSchema } from '@aegis/proto/aegis/auth/v1/token_pb.js';
import { failedPrecondition, invalidArgument, notFound, type ActorInit } from '@aegis/shared';
import type { TokenIssuer } from '../module-ports.js';
import type { AccessTokenMinter, MintedAccessToken } from './access-token-minter.js';
import { AUTH_SERVICE_ACTOR, tokenIssuedEvent, type TokenAudit } from './audit.js';
import { MAX_ACCESS_TOKEN_TTL_MS, MIN_ACCESS_TOKEN_TTL_MS } from './domain/access-token.js';
import { familyExpiry, nextRefreshExpiry } from './domain/refresh-family.js';
import { generateRefreshToken, refreshTokenDigest } from './domain/refresh-token-secret.js';
import type { NewFamily, NewRefreshToken, SessionLiveness, SubjectDirectory, TokenLedger } from './ports.js';

export interface TokenIssuanceDeps {
  ledger: TokenLedger;
  subjects: SubjectDirectory;
  sessions: SessionLiveness;
  minter: AccessTokenMinter;
  audit: TokenAudit;
  /** Configured audiences; the first is the default. */
  audiences: readonly string[];
  defaultAccessTtlMs: number;
  refreshTtlMs: number;
  familyLifetimeMs: number;
  now?: () => Date;
}

export type IssueInput = Parameters<TokenIssuer['issueForUser']>[0];

/** The new tokens in the contract's shape; the refresh token appears here and nowhere else. */
export function tokenPairOf(access: MintedAccessToken, refresh?: { token: string; expireTime: Date }): TokenPair {
  return create(TokenPairSchema, {
    accessToken: access.jwt,
    tokenType: 'Bearer',
    accessTokenExpireTime: timestampFromDate(access.record.expireTime),
    sessionId: access.record.sessionId ?? '',
    ...(refresh !== undefined ? { refreshToken: refresh.token, refreshTokenExpireTime: timestampFromDate(refresh.expireTime) } : {}),
  });
}

/**
 * Issues access tokens (and opens refresh-token families) for users: IssueToken, and the SSO
 * module after a login, through the TokenIssuer contract. Roles come from the users table at
 * this moment; a disabled user or tenant gets nothing.
 */
export class TokenIssuance {
  readonly #deps: TokenIssuanceDeps;
  readonly #now: () => Date;

  constructor(deps: TokenIssuanceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /** TokenIssuer.issueForUser; `actor` defaults to the auth service itself (logins). */
  async issueForUser(input: IssueInput, actor: ActorInit = AUTH_SERVICE_ACTOR): Promise<TokenPair> {
    const audience = this.#audience(input.audience);
    const ttlMs = input.ttlSeconds === undefined ? this.#deps.defaultAccessTtlMs : input.ttlSeconds * 1000;
    if (!(ttlMs >= MIN_ACCESS_TOKEN_TTL_MS && ttlMs <= MAX_ACCESS_TOKEN_TTL_MS)) throw invalidArgument('ttl', 'must be between 1 minute and 24 hours');
    const subject = await this.#deps.subjects.get(input.tenantId, input.userId);
    if (subject === undefined) throw notFound('user', input.userId);
    if (subject.disabled) throw failedPrecondition(`user ${input.userId} (or its tenant) is disabled`);
    const sessionId = input.sessionId !== undefined && input.sessionId !== '' ? input.sessionId : undefined;
    const now = this.#now();

    let family: { family: NewFamily; first: NewRefreshToken; token: string } | undefined;
    if (input.includeRefreshToken) {
      const session = sessionId === undefined ? undefined : await this.#deps.sessions.get(input.tenantId, sessionId);
      const newFamily: NewFamily = {
        id: uuidv7(),
        tenantId: input.tenantId,
        userId: input.userId,
        sessionId: sessionId ?? null,
        audience,
        scopes: [...(input.scopes ?? [])],
        amr: [...(input.amr ?? [])],
        accessTtlMs: ttlMs,
        createTime: now,
        expireTime: familyExpiry(now, this.#deps.familyLifetimeMs, session?.expireTime),
      };
      const token = generateRefreshToken();
      const first = { digest: refreshTokenDigest(token), generation: 1, createTime: now, expireTime: nextRefreshExpiry({ ...newFamily, revokeTime: null }, now, this.#deps.refreshTtlMs) };
      family = { family: newFamily, first, token };
    }

    const access = await this.#deps.minter.mint({
      subject: {
        tenantId: input.tenantId,
        userId: input.userId,
        roles: subject.roles,
        scopes: input.scopes ?? [],
        ...(sessionId !== undefined ? { sessionId } : {}),
        ...(input.amr !== undefined ? { amr: input.amr } : {}),
      },
      audience,
      ttlMs,
      now,
      familyId: family?.family.id ?? null,
    });
    await this.#deps.ledger.recordIssue(access.record, family);
    await this.#deps.audit.publish(tokenIssuedEvent(access.record, actor, family !== undefined));
    return tokenPairOf(access, family === undefined ? undefined : { token: family.token, expireTime: family.first.expireTime });
  }

  #audience(requested: readonly string[] | undefined): string[] {
    if (requested === undefined || requested.length === 0) return [this.#deps.audiences[0]!];
    requested.forEach((aud, i) => {
      if (!this.#deps.audiences.includes(aud)) throw invalidArgument(`audience[${i}]`, `is not an audience this service issues for (${this.#deps.audiences.join(', ')})`);
    });
    return [...new Set(requested)];
  }
}
