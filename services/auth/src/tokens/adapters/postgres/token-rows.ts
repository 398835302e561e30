import type { FamilyRevokeReason, RefreshTokenState } from '../../domain/refresh-family.js';
import type { AccessTokenRecord, FamilyRecord } from '../../ports.js';

// Row shapes of the token tables, and their mapping. Timestamps are re-wrapped in Date so
// callers never see a driver-specific type.

export interface FamilyRow {
  id: string;
  tenant_id: string;
  user_id: string;
  session_id: string | null;
  audience: string[];
  scopes: string[];
  amr: string[];
  access_ttl_ms: number;
  create_time: Date;
  expire_time: Date;
  revoke_time: Date | null;
  revoke_reason: FamilyRevokeReason | null;
}

export interface AccessRow {
  jti: string;
  tenant_id: string;
  user_id: string;
  session_id: string | null;
  family_id: string | null;
  kid: string;
  issue_time: Date;
  expire_time: Date;
  revoke_time: Date | null;
}

const dateOrNull = (value: Date | null): Date | null => (value === null ? null : new Date(value));

export function familyFromRow(row: FamilyRow): FamilyRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    userId: row.user_id,
    sessionId: row.session_id,
    audience: row.audience,
    scopes: row.scopes,
    amr: row.amr,
    accessTtlMs: Number(row.access_ttl_ms),
    createTime: new Date(row.create_time),
    expireTime: new Date(row.expire_time),
    revokeTime: dateOrNull(row.revoke_time),
    revokeReason: row.revoke_reason,
  };
}

export function accessFromRow(row: AccessRow): AccessTokenRecord {
  return {
    jti: row.jti,
    tenantId: row.tenant_id,
    userId: row.user_id,
    sessionId: row.session_id,
    familyId: row.family_id,
    kid: row.kid,
    issueTime: new Date(row.issue_time),
    expireTime: new Date(row.expire_time),
    revokeTime: dateOrNull(row.revoke_time),
  };
}

/** A refresh token joined with its family. */
export interface TokenJoinRow extends FamilyRow {
  generation: number;
  token_create_time: Date;
  token_expire_time: Date;
  spend_time: Date | null;
}

export function tokenAndFamily(row: TokenJoinRow): { family: FamilyRecord; token: RefreshTokenState & { createTime: Date } } {
  const family = familyFromRow(row);
  return {
    family,
    token: {
      tenantId: family.tenantId,
      generation: Number(row.generation),
      createTime: new Date(row.token_create_time),
      expireTime: new Date(row.token_expire_time),
      spendTime: dateOrNull(row.spend_time),
    },
  };
}
