// Storage the tokens module codes against. Postgres adapters implement them (the same SQL
// runs on PGlite); revocation marks live in the service's key-value store (Redis or memory).
import type { FamilyRevokeReason, FamilyState, RefreshDecision, RefreshRejection, RefreshTokenState } from './domain/refresh-family.js';
import type { StoredSigningKey } from './signing-key-material.js';

export interface SigningKeyWriter {
  insert(key: StoredSigningKey): Promise<void>;
  /** Sets the retire time of every key that has none, except `exceptKid`. */
  retireUnretired(at: Date, exceptKid: string): Promise<void>;
  delete(kids: readonly string[]): Promise<void>;
}

export interface SigningKeyStore {
  list(): Promise<StoredSigningKey[]>;
  /**
   * Runs `fn` holding the platform-wide rotation lock, with the keys as they are under it, in
   * one transaction: two instances deciding at once see each other's result, never both act.
   */
  underRotationLock<T>(fn: (keys: StoredSigningKey[], writer: SigningKeyWriter) => Promise<T>): Promise<T>;
  /** Replaces a key's sealed private key (re-sealed under the keyring's new active key). */
  reseal(kid: string, sealedPrivateKey: string): Promise<void>;
  /** Deletes keys retired before `now` (private keys included). */
  deleteRetired(now: Date): Promise<string[]>;
}

/** A user as token issuance needs it. */
export interface TokenSubject {
  tenantId: string;
  userId: string;
  roles: string[];
  /** The user or its tenant is disabled. */
  disabled: boolean;
}

export interface SubjectDirectory {
  get(tenantId: string, userId: string): Promise<TokenSubject | undefined>;
}

/**
 * Sessions are the SSO module's; refresh needs to know whether one is still live and to
 * record the refresh. Defined here (not in module-ports.ts) and read from the sessions table.
 */
export interface SessionLiveness {
  /** undefined: no such session (treated as ended). */
  get(tenantId: string, sessionId: string): Promise<{ live: boolean; expireTime: Date } | undefined>;
  recordRefresh(tenantId: string, sessionId: string, at: Date): Promise<void>;
}

/** One issued access token, remembered until it expires (revocation by jti, introspection). */
export interface AccessTokenRecord {
  jti: string;
  tenantId: string;
  userId: string;
  sessionId: string | null;
  familyId: string | null;
  kid: string;
  issueTime: Date;
  expireTime: Date;
  revokeTime: Date | null;
}

export interface NewFamily {
  id: string;
  tenantId: string;
  userId: string;
  sessionId: string | null;
  audience: string[];
  scopes: string[];
  amr: string[];
  accessTtlMs: number;
  createTime: Date;
  expireTime: Date;
}

export interface FamilyRecord extends NewFamily, FamilyState {
  revokeReason: FamilyRevokeReason | null;
}

export interface NewRefreshToken {
  digest: Buffer;
  generation: number;
  createTime: Date;
  expireTime: Date;
}

/** What a rotation stores: the next refresh token and the new access token. */
export interface Minted {
  next: NewRefreshToken;
  access: AccessTokenRecord;
}

/** What redeeming a refresh token came to. `revokedAccess`: the family's access tokens still alive when it was revoked. */
export type RedeemOutcome<M extends Minted> =
  | { kind: 'unknown' }
  | { kind: 'rotated'; family: FamilyRecord; minted: M }
  | { kind: 'rejected'; family: FamilyRecord; reason: RefreshRejection }
  | { kind: 'family_revoked'; family: FamilyRecord; reason: FamilyRevokeReason; revokedAccess: AccessTokenRecord[] };

/** The locked rows a decision is made on. */
export interface RedeemContext {
  token: RefreshTokenState;
  family: FamilyRecord;
}

export interface TokenLedger {
  /** Stores an issued access token, and with it a new family and its first refresh token when given. */
  recordIssue(access: AccessTokenRecord, family?: { family: NewFamily; first: NewRefreshToken }): Promise<void>;
  /**
   * Redeems a refresh token in one transaction: locks it and its family, asks `decide`, and
   * applies the answer: spend it and store what `mint` made, or revoke the family, or nothing.
   * Both callbacks run inside the transaction and must not touch the database themselves.
   */
  redeem<M extends Minted>(
    digest: Buffer,
    now: Date,
    decide: (ctx: RedeemContext) => RefreshDecision,
    mint: (ctx: RedeemContext) => Promise<M>,
  ): Promise<RedeemOutcome<M>>;
  findAccessToken(jti: string): Promise<AccessTokenRecord | undefined>;
  /** Marks it revoked; false when it was already revoked. */
  revokeAccessToken(jti: string, at: Date): Promise<boolean>;
  /** A refresh token's state and its family, without locking. */
  findRefreshToken(digest: Buffer): Promise<{ family: FamilyRecord; token: RefreshTokenState & { createTime: Date } } | undefined>;
  /** Revokes the families matching `scope` that are still live, and their live access tokens. */
  revokeFamilies(
    scope: { familyId: string } | { tenantId: string; sessionId: string } | { tenantId: string; userId: string },
    reason: FamilyRevokeReason,
    at: Date,
  ): Promise<{ families: FamilyRecord[]; revokedAccess: AccessTokenRecord[] }>;
  /** Revokes a user's access tokens that have not expired (those outside families too). */
  revokeUserAccessTokens(tenantId: string, userId: string, at: Date): Promise<AccessTokenRecord[]>;
  /** Deletes access-token rows and families that expired before `before`. */
  sweep(before: Date): Promise<void>;
}
