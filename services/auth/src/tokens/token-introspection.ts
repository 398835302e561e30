import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { decodeJwt } from 'jose';
import { type IntrospectTokenResponse, IntrospectTokenResponseSchema } from '@aegis/proto/aegis/auth/v1/token_service_pb.js';
import { TokenType } from '@aegis/proto/aegis/auth/v1/token_pb.js';
import { type Principal, PrincipalSchema, PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { isAegisError, looksLikeJwt, type AccessTokenVerifier } from '@aegis/shared';
import { looksLikeRefreshToken, refreshTokenDigest } from './domain/refresh-token-secret.js';
import type { AccessTokenRecord, SubjectDirectory, TokenLedger } from './ports.js';

// Longer than any token we issue by far; anything bigger is inactive without being parsed.
const MAX_TOKEN_LENGTH = 16_384;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface VerifiedAccessToken {
  principal: Principal;
  claims: { jti: string; iss: string; aud: string[]; iat: number; exp: number; nbf: number };
  record: AccessTokenRecord;
}

export interface TokenIntrospectionDeps {
  /** Verifies against this service's published keys, issuer and configured audiences. */
  verifier: AccessTokenVerifier;
  ledger: TokenLedger;
  subjects: SubjectDirectory;
  issuer: string;
  now?: () => Date;
}

const INACTIVE = (): IntrospectTokenResponse => create(IntrospectTokenResponseSchema, { active: false });

/**
 * IntrospectToken (RFC 7662): whether a token is active right now, by the same checks a
 * verifier makes plus what only auth knows: the ledger's revocations and the user's state.
 * Anything wrong with the token is an answer (active=false), never an error.
 */
export class TokenIntrospection {
  readonly #deps: TokenIntrospectionDeps;
  readonly #now: () => Date;

  constructor(deps: TokenIntrospectionDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  async introspect(token: string, expectedTenant: string | undefined): Promise<IntrospectTokenResponse> {
    if (token.length > MAX_TOKEN_LENGTH) return INACTIVE();
    if (looksLikeRefreshToken(token)) return this.#refreshToken(token, expectedTenant);
    const access = await this.readAccessToken(token);
    if (access === undefined || access.record.revokeTime !== null) return INACTIVE();
    const { principal, claims } = access;
    if (expectedTenant !== undefined && principal.tenantId !== expectedTenant) return INACTIVE();
    const subject = await this.#deps.subjects.get(principal.tenantId, principal.userId);
    if (subject === undefined || subject.disabled) return INACTIVE();
    return create(IntrospectTokenResponseSchema, {
      active: true,
      principal,
      tokenType: TokenType.ACCESS_TOKEN,
      jti: claims.jti,
      issuer: claims.iss,
      audience: claims.aud,
      issueTime: timestampFromDate(new Date(claims.iat * 1000)),
      expireTime: timestampFromDate(new Date(claims.exp * 1000)),
      notBeforeTime: timestampFromDate(new Date(claims.nbf * 1000)),
    });
  }

  /**
   * One of our access tokens with a valid signature, issuer, audience and time window, and its
   * ledger row (revoked or not); undefined for anything else. Shared with RevokeToken.
   */
  async readAccessToken(token: string): Promise<VerifiedAccessToken | undefined> {
    if (token.length > MAX_TOKEN_LENGTH || !looksLikeJwt(token)) return undefined;
    let principal: Principal;
    try {
      principal = await this.#deps.verifier(token);
    } catch (err) {
      // Unauthenticated means "not a valid token": an answer here. Anything else is our failure.
      if (isAegisError(err) && err.kind === 'unauthenticated') return undefined;
      throw err;
    }
    // Verified above, so decoding the payload now reads what the signature covers.
    const payload = decodeJwt(token);
    const jti = payload.jti;
    if (typeof jti !== 'string' || !UUID.test(jti)) return undefined;
    const record = await this.#deps.ledger.findAccessToken(jti);
    if (record === undefined || record.tenantId !== principal.tenantId || record.userId !== principal.userId) return undefined;
    const aud = payload.aud;
    return {
      principal,
      record,
      claims: {
        jti,
        iss: payload.iss ?? '',
        aud: typeof aud === 'string' ? [aud] : aud ?? [],
        iat: payload.iat ?? 0,
        exp: payload.exp ?? 0,
        nbf: payload.nbf ?? 0,
      },
    };
  }

  async #refreshToken(token: string, expectedTenant: string | undefined): Promise<IntrospectTokenResponse> {
    const found = await this.#deps.ledger.findRefreshToken(refreshTokenDigest(token));
    if (found === undefined) return INACTIVE();
    const { family, token: state } = found;
    const now = this.#now();
    const live = state.spendTime === null && state.expireTime > now && family.expireTime > now && family.revokeTime === null;
    if (!live || (expectedTenant !== undefined && family.tenantId !== expectedTenant)) return INACTIVE();
    const subject = await this.#deps.subjects.get(family.tenantId, family.userId);
    if (subject === undefined || subject.disabled) return INACTIVE();
    return create(IntrospectTokenResponseSchema, {
      active: true,
      principal: create(PrincipalSchema, {
        tenantId: family.tenantId,
        type: PrincipalType.USER,
        id: family.userId,
        userId: family.userId,
        sessionId: family.sessionId ?? '',
        roles: subject.roles,
        scopes: family.scopes,
      }),
      tokenType: TokenType.REFRESH_TOKEN,
      issuer: this.#deps.issuer,
      audience: family.audience,
      issueTime: timestampFromDate(state.createTime),
      expireTime: timestampFromDate(state.expireTime),
    });
  }
}
