import type { SqlDatabase, SqlExecutor } from '@aegis/shared';
import type { FamilyRevokeReason, RefreshDecision, RefreshTokenState } from '../../domain/refresh-family.js';
import type { AccessTokenRecord, FamilyRecord, Minted, NewFamily, NewRefreshToken, RedeemContext, RedeemOutcome, TokenLedger } from '../../ports.js';
import { accessFromRow, type AccessRow, familyFromRow, type FamilyRow, tokenAndFamily, type TokenJoinRow } from './token-rows.js';

const FAMILY_COLUMNS = 'f.id, f.tenant_id, f.user_id, f.session_id, f.audience, f.scopes, f.amr, f.access_ttl_ms, f.create_time, f.expire_time, f.revoke_time, f.revoke_reason';
const TOKEN_COLUMNS = 't.generation, t.create_time AS token_create_time, t.expire_time AS token_expire_time, t.spend_time';
const ACCESS_COLUMNS = 'jti, tenant_id, user_id, session_id, family_id, kid, issue_time, expire_time, revoke_time';

type FamilyScope = { familyId: string } | { tenantId: string; sessionId: string } | { tenantId: string; userId: string };

export class PostgresTokenLedger implements TokenLedger {
  constructor(private readonly db: SqlDatabase) {}

  recordIssue(access: AccessTokenRecord, family?: { family: NewFamily; first: NewRefreshToken }): Promise<void> {
    return this.db.transaction(async (tx) => {
      if (family !== undefined) {
        const f = family.family;
        await tx.query(
          `INSERT INTO refresh_token_families (id, tenant_id, user_id, session_id, audience, scopes, amr, access_ttl_ms, create_time, expire_time)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [f.id, f.tenantId, f.userId, f.sessionId, f.audience, f.scopes, f.amr, f.accessTtlMs, f.createTime, f.expireTime],
        );
        await insertRefreshToken(tx, f.id, family.first);
      }
      await insertAccessToken(tx, access);
    });
  }

  redeem<M extends Minted>(digest: Buffer, now: Date, decide: (ctx: RedeemContext) => RefreshDecision, mint: (ctx: RedeemContext) => Promise<M>): Promise<RedeemOutcome<M>> {
    return this.db.transaction(async (tx): Promise<RedeemOutcome<M>> => {
      // Both rows locked: concurrent redemptions of one family (a thief and the owner) are serialised.
      const { rows } = await tx.query<TokenJoinRow>(
        `SELECT ${FAMILY_COLUMNS}, ${TOKEN_COLUMNS}
           FROM refresh_tokens t JOIN refresh_token_families f ON f.id = t.family_id
          WHERE t.digest = $1
            FOR UPDATE OF t, f`,
        [digest],
      );
      if (rows[0] === undefined) return { kind: 'unknown' };
      const ctx: RedeemContext = tokenAndFamily(rows[0]);
      const { family } = ctx;
      const decision = decide(ctx);
      if (decision.kind === 'reject') return { kind: 'rejected', family, reason: decision.reason };
      if (decision.kind === 'revoke_family') {
        const revoked = await revokeFamiliesOn(tx, { familyId: family.id }, decision.reason, now);
        return { kind: 'family_revoked', family, reason: decision.reason, revokedAccess: revoked.revokedAccess };
      }
      const minted = await mint(ctx);
      await tx.query('UPDATE refresh_tokens SET spend_time = $2 WHERE digest = $1', [digest, now]);
      await insertRefreshToken(tx, family.id, minted.next);
      await insertAccessToken(tx, minted.access);
      return { kind: 'rotated', family, minted };
    });
  }

  async findAccessToken(jti: string): Promise<AccessTokenRecord | undefined> {
    const { rows } = await this.db.query<AccessRow>(`SELECT ${ACCESS_COLUMNS} FROM access_tokens WHERE jti = $1`, [jti]);
    return rows[0] === undefined ? undefined : accessFromRow(rows[0]);
  }

  async revokeAccessToken(jti: string, at: Date): Promise<boolean> {
    const { rowCount } = await this.db.query('UPDATE access_tokens SET revoke_time = $2 WHERE jti = $1 AND revoke_time IS NULL', [jti, at]);
    return rowCount > 0;
  }

  async findRefreshToken(digest: Buffer): Promise<{ family: FamilyRecord; token: RefreshTokenState & { createTime: Date } } | undefined> {
    const { rows } = await this.db.query<TokenJoinRow>(
      `SELECT ${FAMILY_COLUMNS}, ${TOKEN_COLUMNS} FROM refresh_tokens t JOIN refresh_token_families f ON f.id = t.family_id WHERE t.digest = $1`,
      [digest],
    );
    return rows[0] === undefined ? undefined : tokenAndFamily(rows[0]);
  }

  revokeFamilies(scope: FamilyScope, reason: FamilyRevokeReason, at: Date): Promise<{ families: FamilyRecord[]; revokedAccess: AccessTokenRecord[] }> {
    return this.db.transaction((tx) => revokeFamiliesOn(tx, scope, reason, at));
  }

  async revokeUserAccessTokens(tenantId: string, userId: string, at: Date): Promise<AccessTokenRecord[]> {
    const { rows } = await this.db.query<AccessRow>(
      `UPDATE access_tokens SET revoke_time = $3
        WHERE tenant_id = $1 AND user_id = $2 AND revoke_time IS NULL AND expire_time > $3
        RETURNING ${ACCESS_COLUMNS}`,
      [tenantId, userId, at],
    );
    return rows.map(accessFromRow);
  }

  async sweep(before: Date): Promise<void> {
    await this.db.query('DELETE FROM access_tokens WHERE expire_time < $1', [before]);
    await this.db.query('DELETE FROM refresh_token_families WHERE expire_time < $1', [before]);
  }
}

async function revokeFamiliesOn(tx: SqlExecutor, scope: FamilyScope, reason: FamilyRevokeReason, at: Date): Promise<{ families: FamilyRecord[]; revokedAccess: AccessTokenRecord[] }> {
  const [where, params] = 'familyId' in scope
    ? ['f.id = $3', [scope.familyId]]
    : 'sessionId' in scope
      ? ['f.tenant_id = $3 AND f.session_id = $4', [scope.tenantId, scope.sessionId]]
      : ['f.tenant_id = $3 AND f.user_id = $4', [scope.tenantId, scope.userId]];
  const families = (await tx.query<FamilyRow>(
    `UPDATE refresh_token_families f SET revoke_time = $1, revoke_reason = $2
      WHERE ${where} AND f.revoke_time IS NULL
      RETURNING ${FAMILY_COLUMNS}`,
    [at, reason, ...params],
  )).rows.map(familyFromRow);
  // A session's access tokens issued without a refresh token carry its sid but no family.
  const session = 'sessionId' in scope ? scope : undefined;
  const { rows } = await tx.query<AccessRow>(
    `UPDATE access_tokens SET revoke_time = $1
      WHERE revoke_time IS NULL AND expire_time > $1
        AND (family_id = ANY($2::uuid[]) OR (tenant_id = $3 AND session_id = $4))
      RETURNING ${ACCESS_COLUMNS}`,
    [at, families.map((f) => f.id), session?.tenantId ?? null, session?.sessionId ?? null],
  );
  return { families, revokedAccess: rows.map(accessFromRow) };
}

async function insertRefreshToken(tx: SqlExecutor, familyId: string, token: NewRefreshToken): Promise<void> {
  await tx.query(
    'INSERT INTO refresh_tokens (digest, family_id, generation, create_time, expire_time) VALUES ($1, $2, $3, $4, $5)',
    [token.digest, familyId, token.generation, token.createTime, token.expireTime],
  );
}

async function insertAccessToken(tx: SqlExecutor, access: AccessTokenRecord): Promise<void> {
  await tx.query(
    `INSERT INTO access_tokens (${ACCESS_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [access.jti, access.tenantId, access.userId, access.sessionId, access.familyId, access.kid, access.issueTime, access.expireTime, access.revokeTime],
  );
}
