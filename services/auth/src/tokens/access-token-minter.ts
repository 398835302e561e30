import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { ACCESS_TOKEN_TYP, type AccessTokenClaims } from '@aegis/shared';
import { accessTokenClaims, expiryOf, type AccessTokenSubject } from './domain/access-token.js';
import type { AccessTokenRecord } from './ports.js';
import type { SigningKeyRing } from './signing-key-ring.js';

export interface MintedAccessToken {
  jwt: string;
  claims: AccessTokenClaims;
  record: AccessTokenRecord;
}

/** Signs access tokens with the ring's active key: header `{alg, kid, typ: at+jwt}` (RFC 9068). */
export class AccessTokenMinter {
  constructor(private readonly keys: SigningKeyRing, private readonly issuer: string) {}

  async mint(input: { subject: AccessTokenSubject; audience: readonly string[]; ttlMs: number; now: Date; familyId: string | null }): Promise<MintedAccessToken> {
    const { subject, now } = input;
    const signer = await this.keys.signer(now);
    const claims = accessTokenClaims({ issuer: this.issuer, audience: input.audience, subject, ttlMs: input.ttlMs, now, jti: randomUUID() });
    const jwt = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: signer.algorithm, kid: signer.kid, typ: ACCESS_TOKEN_TYP })
      .sign(signer.privateKey);
    return {
      jwt,
      claims,
      record: {
        jti: claims.jti,
        tenantId: subject.tenantId,
        userId: subject.userId,
        sessionId: subject.sessionId !== undefined && subject.sessionId !== '' ? subject.sessionId : null,
        familyId: input.familyId,
        kid: signer.kid,
        issueTime: new Date(claims.iat * 1000),
        expireTime: expiryOf(claims),
        revokeTime: null,
      },
    };
  }
}
