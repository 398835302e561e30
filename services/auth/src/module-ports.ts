// Contracts between the auth service's modules (api-keys, tokens, sso, users). Each module
// implements its side; definition.ts wires them. Nothing here does I/O.
import type { TokenPair } from '@aegis/proto/aegis/auth/v1/token_pb.js';
import type { ConnectRouter } from '@connectrpc/connect';
import type { Keyring, ServiceContext } from '@aegis/shared';
import type { Authorizer } from './authorization.js';
import type { AuthConfig } from './config.js';

/** What every module is built from. */
export interface AuthDeps {
  ctx: ServiceContext;
  config: AuthConfig;
  /** HMAC key for API-key digests. */
  pepper: Uint8Array;
  /** AES-256-GCM keys for secrets at rest (JWT private keys, identity-provider client secrets). */
  keyring: Keyring;
  /** Public base URL of this auth service (JWT `iss`, OIDC discovery, OAuth redirect defaults). */
  issuer: string;
  /** Interim RPC authorisation from the contracts' access options (authorization.ts). */
  authorizer: Authorizer;
}

export interface AuthModule {
  /** Registers the module's RPC implementations (only the methods it owns). */
  register(router: ConnectRouter): void;
  /** Plain-HTTP GET routes (e.g. `/.well-known/jwks.json`). */
  httpRoutes?: Record<string, import('@aegis/shared').HttpRoute>;
  /** Background work to stop on shutdown (batched writes, timers, subscriptions). */
  close?(): Promise<void>;
}

/** A user as other modules need it. */
export interface UserRecord {
  tenantId: string;
  userId: string;
  email: string | null;
  displayName: string;
  roles: string[];
  disabled: boolean;
}

/** Owned by the users module; SSO links external identities to users through it. */
export interface UserDirectory {
  get(tenantId: string, userId: string): Promise<UserRecord | undefined>;
  findByEmail(tenantId: string, email: string): Promise<UserRecord | undefined>;
  /** Creates a user on first SSO login (default role from configuration). */
  create(input: { tenantId: string; email: string | null; displayName: string; roles: string[] }): Promise<UserRecord>;
  /** Records a successful login (`User.last_login_time`); not a change of the user, so no new version. */
  recordLogin(tenantId: string, userId: string, at: Date): Promise<void>;
}

/** Owned by the tokens module. */
export interface TokenIssuer {
  /** Access token (JWT) and, when asked, an opaque single-use refresh token, for a user. */
  issueForUser(input: {
    tenantId: string;
    userId: string;
    sessionId?: string;
    audience?: string[];
    scopes?: string[];
    ttlSeconds?: number;
    includeRefreshToken: boolean;
    /** Authentication methods (OIDC `amr`), carried into the access token. */
    amr?: string[];
  }): Promise<TokenPair>;
  /** Revokes the refresh-token family and the live access tokens of a session. */
  revokeSession(tenantId: string, sessionId: string): Promise<void>;
}

/**
 * Called when a user is disabled (or deleted): every module drops what lets that user in
 * (API keys via cache invalidation, sessions, refresh tokens). Each module implements it.
 */
export interface CredentialInvalidation {
  invalidateUser(tenantId: string, userId: string): Promise<void>;
}
