// Storage the SSO module needs. Postgres (and PGlite, same SQL) holds providers, links,
// sessions and policies; started logins live in the service's key-value store (Redis, or
// memory on one process) because they are short-lived and must be consumed exactly once.
import type { ExternalIdentity } from './domain/external-identity.js';
import type { IdentityProviderRecord, ProviderSettings } from './domain/identity-provider.js';
import type { PendingLogin } from './domain/login-state.js';
import type { SessionPolicy, SessionRecord } from './domain/session.js';

export interface IdentityProviderStore {
  /** AlreadyExists when the id is taken in the tenant. */
  create(input: { tenantId: string; providerId: string; settings: ProviderSettings; sealedClientSecret: string | null }): Promise<IdentityProviderRecord>;
  get(tenantId: string, providerId: string): Promise<IdentityProviderRecord | undefined>;
  list(tenantId: string): Promise<IdentityProviderRecord[]>;
  /**
   * Replaces the settings; `sealedClientSecret` undefined keeps the stored secret.
   * NotFound, or Aborted when expectedVersion (non-zero) is not the stored version.
   */
  update(input: { tenantId: string; providerId: string; settings: ProviderSettings; sealedClientSecret?: string; expectedVersion: number }): Promise<IdentityProviderRecord>;
  /** NotFound or Aborted as for update; returns what was deleted. */
  delete(tenantId: string, providerId: string, expectedVersion: number): Promise<IdentityProviderRecord>;
}

export interface LinkedIdentityRecord {
  providerId: string;
  subject: string;
  linkTime: Date;
}

export interface IdentityLinkStore {
  findUser(tenantId: string, providerId: string, subject: string): Promise<string | undefined>;
  /** Links the account to the user, or returns the user another login linked it to first. */
  link(tenantId: string, providerId: string, subject: string, userId: string): Promise<string>;
  listForUser(tenantId: string, userId: string): Promise<LinkedIdentityRecord[]>;
}

export interface NewSession {
  tenantId: string;
  sessionId: string;
  userId: string;
  providerId: string;
  amr: string[];
  ipAddress: string;
  userAgent: string;
  createTime: Date;
  expireTime: Date;
}

export type SessionOpening =
  | { opened: true; session: SessionRecord; evicted: SessionRecord[] }
  | { opened: false; liveSessions: number };

export interface SessionListQuery {
  userId?: string;
  includeEnded: boolean;
  limit: number;
  /** Sessions older than this one (ids are UUIDv7: id order is creation order). */
  beforeSessionId?: string;
}

export interface SessionStore {
  /**
   * Applies the concurrent-session limit and creates the session in one transaction,
   * serialised per user so two simultaneous logins cannot both take the last place.
   */
  open(session: NewSession, policy: Pick<SessionPolicy, 'maxConcurrentSessions' | 'limitAction'>): Promise<SessionOpening>;
  get(tenantId: string, sessionId: string): Promise<SessionRecord | undefined>;
  list(tenantId: string, query: SessionListQuery): Promise<SessionRecord[]>;
  /** Ends a live session as revoked; returns the session and whether this call ended it. */
  revoke(tenantId: string, sessionId: string, at: Date): Promise<{ session: SessionRecord; ended: boolean } | undefined>;
  /** Ends every live session of the user as revoked; returns the ones it ended. */
  revokeAllOfUser(tenantId: string, userId: string, at: Date): Promise<SessionRecord[]>;
}

export interface SessionPolicyStore {
  get(tenantId: string): Promise<SessionPolicy | undefined>;
  /** Aborted when expectedVersion (non-zero) is not the stored version (0 when never set). */
  put(policy: Omit<SessionPolicy, 'version'>, expectedVersion: number): Promise<SessionPolicy>;
}

export interface LoginStateStore {
  save(state: string, login: PendingLogin, ttlMs: number): Promise<void>;
  /** Returns the login once; a second call with the same state finds nothing. */
  take(state: string): Promise<PendingLogin | undefined>;
}

export interface AuthorizationRequest {
  state: string;
  nonce: string;
  codeChallenge: string;
  redirectUri: string;
  loginHint: string;
}

export interface CodeRedemption {
  code: string;
  codeVerifier: string;
  nonce: string;
  redirectUri: string;
  requestedScopes: string[];
  /** The opened client secret, or null for a public client. */
  clientSecret: string | null;
}

/** The conversation with one kind of provider (OIDC with discovery, or GitHub's OAuth 2.0). */
export interface ProviderProtocol {
  /** Fetches what a provider needs (fresh discovery) so a broken configuration is refused when saved. */
  check(tenantId: string, providerId: string, settings: ProviderSettings): Promise<void>;
  authorizationUrl(provider: IdentityProviderRecord, req: AuthorizationRequest): Promise<string>;
  /** Exchanges the code (with PKCE), validates what comes back and reads the user's profile. */
  redeem(provider: IdentityProviderRecord, req: CodeRedemption): Promise<ExternalIdentity>;
}
