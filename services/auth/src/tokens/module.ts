import { TokenService } from '@aegis/proto/aegis/auth/v1/token_service_pb.js';
import { createAccessTokenVerifier } from '@aegis/shared';
import type { AuthDeps, AuthModule, CredentialInvalidation, TokenIssuer } from '../module-ports.js';
import { AccessTokenMinter } from './access-token-minter.js';
import { RevocationMarks } from './adapters/kv/revocation-marks.js';
import { PostgresSigningKeyStore } from './adapters/postgres/signing-key-store.js';
import { PostgresSessionLiveness, PostgresSubjectDirectory } from './adapters/postgres/subject-directory.js';
import { PostgresTokenLedger } from './adapters/postgres/token-ledger.js';
import { AUTH_SERVICE_ACTOR, signingKeyRotatedEvent, TokenAudit } from './audit.js';
import { loadTokensConfig } from './config.js';
import { MAX_ACCESS_TOKEN_TTL_MS } from './domain/access-token.js';
import { getJwks } from './handlers/get-jwks.js';
import type { TokenHandlerDeps } from './handlers/handler-deps.js';
import { introspectToken } from './handlers/introspect-token.js';
import { issueToken } from './handlers/issue-token.js';
import { refreshToken } from './handlers/refresh-token.js';
import { revokeToken } from './handlers/revoke-token.js';
import { rotateSigningKey } from './handlers/rotate-signing-key.js';
import { RefreshThrottle } from './refresh-throttle.js';
import { SigningKeyRing } from './signing-key-ring.js';
import { TokenIntrospection } from './token-introspection.js';
import { TokenIssuance } from './token-issuance.js';
import { TokenRefresh } from './token-refresh.js';
import { TokenRevocation } from './token-revocation.js';
import { wellKnownRoutes } from './well-known-routes.js';

// Expired ledger rows are kept this long before the sweep deletes them (late revocations of an
// expired token then still find it, harmlessly).
const SWEEP_GRACE_MS = 3_600_000;
// Introspection runs on the clock that issued the token; a little slack covers instances' skew.
const INTROSPECTION_CLOCK_TOLERANCE_SEC = 5;

export interface TokensModule extends AuthModule {
  /** For the SSO module: tokens after a login, and logout. */
  issuer: TokenIssuer;
  /** For the users module: a disabled user's families and access tokens are revoked. */
  invalidation: CredentialInvalidation;
  /** Revocation marks in the shared store: an in-process verifier's `isRevoked`. */
  revocationMarks: RevocationMarks;
  keys: SigningKeyRing;
}

/** JWT signing keys, JWKS and discovery, access/refresh tokens, introspection and revocation. */
export async function createTokensModule(deps: AuthDeps): Promise<TokensModule> {
  const { ctx } = deps;
  const config = loadTokensConfig(ctx.env);
  const logger = ctx.logger.child({ module: 'tokens' });
  const audit = new TokenAudit(ctx.publisher, logger);
  const platformTenant = deps.config.AEGIS_AUTH_BOOTSTRAP_TENANT;

  const keys = new SigningKeyRing({
    store: new PostgresSigningKeyStore(ctx.db),
    keyring: deps.keyring,
    algorithm: config.AEGIS_AUTH_JWT_ALGORITHM,
    policy: {
      intervalMs: config.AEGIS_AUTH_SIGNING_KEY_ROTATION_INTERVAL_MS,
      prepublishMs: config.AEGIS_AUTH_SIGNING_KEY_PREPUBLISH_MS,
      retentionMs: config.AEGIS_AUTH_SIGNING_KEY_RETENTION_MS,
    },
    broadcast: ctx.broadcast,
    logger,
    onRotated: (key, trigger, actor) => audit.publish(signingKeyRotatedEvent(platformTenant, key, trigger, actor ?? AUTH_SERVICE_ACTOR)),
  });
  await keys.start();

  const ledger = new PostgresTokenLedger(ctx.db);
  const subjects = new PostgresSubjectDirectory(ctx.db);
  const sessions = new PostgresSessionLiveness(ctx.db);
  const minter = new AccessTokenMinter(keys, deps.issuer);
  const revocationMarks = new RevocationMarks(ctx.kv);
  const revocation = new TokenRevocation({
    ledger, marks: revocationMarks, credentialEvents: ctx.credentialEvents, audit, logger, maxAccessTokenTtlMs: MAX_ACCESS_TOKEN_TTL_MS,
  });
  const refreshTtlMs = config.AEGIS_AUTH_REFRESH_TOKEN_TTL_MS;
  const issuance = new TokenIssuance({
    ledger, subjects, sessions, minter, audit,
    audiences: config.AEGIS_AUTH_JWT_AUDIENCES,
    defaultAccessTtlMs: config.AEGIS_AUTH_ACCESS_TOKEN_TTL_MS,
    familyLifetimeMs: config.AEGIS_AUTH_REFRESH_FAMILY_LIFETIME_MS,
    refreshTtlMs,
  });
  const refresh = new TokenRefresh({ ledger, subjects, sessions, minter, revocation, audit, logger, refreshTtlMs });
  const introspection = new TokenIntrospection({
    verifier: createAccessTokenVerifier({
      issuer: deps.issuer,
      audience: config.AEGIS_AUTH_JWT_AUDIENCES,
      keys: keys.verificationKeys,
      clockToleranceSec: INTROSPECTION_CLOCK_TOLERANCE_SEC,
    }),
    ledger,
    subjects,
    issuer: deps.issuer,
  });
  const handlers: TokenHandlerDeps = {
    authorizer: deps.authorizer,
    issuance,
    refresh,
    introspection,
    revocation,
    ledger,
    keys,
    throttle: new RefreshThrottle(ctx.kv, config.AEGIS_AUTH_REFRESH_FAILURE_LIMIT, config.AEGIS_AUTH_REFRESH_FAILURE_WINDOW_MS),
    defaultAlgorithm: config.AEGIS_AUTH_JWT_ALGORITHM,
  };

  // One timer per instance: rotation schedule, retired keys, expired ledger rows. Every
  // instance runs it; the rotation lock and idempotent deletes make that safe.
  let housekeeping: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    housekeeping = (async () => {
      await keys.tick();
      await ledger.sweep(new Date(Date.now() - SWEEP_GRACE_MS));
    })().catch((err: unknown) => logger.warn({ err }, 'token housekeeping failed; retrying at the next check'));
  }, config.AEGIS_AUTH_SIGNING_KEY_CHECK_INTERVAL_MS);
  timer.unref();

  return {
    issuer: {
      issueForUser: (input) => issuance.issueForUser(input),
      revokeSession: (tenantId, sessionId) => revocation.revokeSession(tenantId, sessionId),
    },
    invalidation: revocation,
    revocationMarks,
    keys,
    register(router) {
      router.service(TokenService, {
        issueToken: (req, handlerCtx) => issueToken(handlers, req, handlerCtx),
        refreshToken: (req, handlerCtx) => refreshToken(handlers, req, handlerCtx),
        introspectToken: (req) => introspectToken(handlers, req),
        revokeToken: (req, handlerCtx) => revokeToken(handlers, req, handlerCtx),
        getJwks: () => getJwks(keys),
        rotateSigningKey: (req, handlerCtx) => rotateSigningKey(handlers, req, handlerCtx),
      });
    },
    httpRoutes: wellKnownRoutes(keys, { issuer: deps.issuer, maxAgeMs: config.AEGIS_AUTH_JWKS_MAX_AGE_MS }),
    async close() {
      clearInterval(timer);
      await housekeeping;
      await keys.close();
    },
  };
}
