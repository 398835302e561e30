import { IdentityProviderService } from '@aegis/proto/aegis/auth/v1/identity_provider_service_pb.js';
import { OAuthService } from '@aegis/proto/aegis/auth/v1/oauth_service_pb.js';
import { SessionService } from '@aegis/proto/aegis/auth/v1/session_service_pb.js';
import type { AuthDeps, AuthModule, CredentialInvalidation, TokenIssuer, UserDirectory } from '../module-ports.js';
import { AccountLinker } from './account-linker.js';
import { GitHubProtocol } from './adapters/http/github-protocol.js';
import { DiscoveryCache } from './adapters/http/discovery.js';
import { JwksCache } from './adapters/http/jwks-cache.js';
import { OidcProtocol } from './adapters/http/oidc-protocol.js';
import { ProviderHttp } from './adapters/http/provider-http.js';
import { KvLoginStateStore } from './adapters/kv/login-state-store.js';
import { PostgresIdentityLinkStore } from './adapters/postgres/identity-link-store.js';
import { PostgresIdentityProviderStore } from './adapters/postgres/identity-provider-store.js';
import { PostgresSessionPolicyStore } from './adapters/postgres/session-policy-store.js';
import { PostgresSessionStore } from './adapters/postgres/session-store.js';
import { AuditTrail, SERVICE } from './audit.js';
import { loadSsoConfig } from './config.js';
import type { ProviderKind } from './domain/identity-provider.js';
import { createIdentityProvider, type ProviderHandlerDeps } from './handlers/create-identity-provider.js';
import { deleteIdentityProvider } from './handlers/delete-identity-provider.js';
import { exchangeCode } from './handlers/exchange-code.js';
import { getAuthorizationUrl } from './handlers/get-authorization-url.js';
import { getIdentityProvider } from './handlers/get-identity-provider.js';
import { getSession } from './handlers/get-session.js';
import { getSessionPolicy } from './handlers/get-session-policy.js';
import { listIdentityProviders } from './handlers/list-identity-providers.js';
import { listSessions } from './handlers/list-sessions.js';
import { revokeSession } from './handlers/revoke-session.js';
import type { SessionHandlerDeps } from './handlers/session-handler-deps.js';
import { updateIdentityProvider } from './handlers/update-identity-provider.js';
import { updateSessionPolicy } from './handlers/update-session-policy.js';
import { LoginFlow } from './login-flow.js';
import type { LinkedIdentityRecord, ProviderProtocol } from './ports.js';
import { ProviderRegistry } from './provider-registry.js';
import { SessionRegistry } from './session-registry.js';

/** What the SSO module needs from its sibling modules (wired in definition.ts). */
export interface SsoLinks {
  /** The users module: find or create the user behind a login. */
  users: UserDirectory;
  /** The tokens module: Aegis tokens for a session, and their revocation when it ends. */
  tokens: TokenIssuer;
}

export interface SsoModule extends AuthModule, CredentialInvalidation {
  /** For the users module (User.identities): the external accounts linked to a user. */
  linkedIdentities(tenantId: string, userId: string): Promise<LinkedIdentityRecord[]>;
}

/** Identity providers, OAuth 2.0 / OIDC login, sessions and the enterprise SSO rules. */
export async function createSsoModule(deps: AuthDeps, links: SsoLinks): Promise<SsoModule> {
  const { ctx, authorizer, keyring } = deps;
  const config = loadSsoConfig(ctx.env);
  const logger = ctx.logger.child({ module: 'sso' });
  const audit = new AuditTrail(ctx.publisher, logger);
  const urlPolicy = { allowHttpLoopback: config.AEGIS_AUTH_SSO_ALLOW_HTTP_LOOPBACK };

  const http = new ProviderHttp({ timeoutMs: config.AEGIS_AUTH_SSO_HTTP_TIMEOUT_MS });
  const oidc = new OidcProtocol(
    http,
    new DiscoveryCache(http, config.AEGIS_AUTH_SSO_DISCOVERY_TTL_MS, urlPolicy),
    new JwksCache(http, config.AEGIS_AUTH_SSO_JWKS_TTL_MS),
    { googleIssuer: config.AEGIS_AUTH_SSO_GOOGLE_ISSUER, clockToleranceSec: Math.ceil(config.AEGIS_AUTH_SSO_CLOCK_TOLERANCE_MS / 1000) },
  );
  const github = new GitHubProtocol(http, { webUrl: config.AEGIS_AUTH_SSO_GITHUB_URL, apiUrl: config.AEGIS_AUTH_SSO_GITHUB_API_URL });
  const protocolFor = (kind: ProviderKind): ProviderProtocol => (kind === 'github' ? github : oidc);

  const linkStore = new PostgresIdentityLinkStore(ctx.db);
  const providers = new ProviderRegistry(new PostgresIdentityProviderStore(ctx.db), protocolFor, keyring, audit);
  const sessions = new SessionRegistry(
    new PostgresSessionStore(ctx.db),
    new PostgresSessionPolicyStore(ctx.db),
    links.tokens,
    ctx.credentialEvents,
    audit,
    logger,
    config.AEGIS_AUTH_SSO_SESSION_TIMEOUT_MS,
  );
  const flow = new LoginFlow(
    providers,
    protocolFor,
    new KvLoginStateStore(ctx.kv, logger),
    new AccountLinker(linkStore, links.users, config.AEGIS_AUTH_SSO_DEFAULT_ROLES),
    sessions,
    links.tokens,
    ctx.kv,
    audit,
    logger,
    {
      redirectUris: config.AEGIS_AUTH_SSO_REDIRECT_URIS ?? [],
      stateTtlMs: config.AEGIS_AUTH_SSO_STATE_TTL_MS,
      failureLimit: config.AEGIS_AUTH_SSO_FAILURE_LIMIT,
      failureWindowMs: config.AEGIS_AUTH_SSO_FAILURE_WINDOW_MS,
    },
  );

  const p: ProviderHandlerDeps = {
    authorizer,
    providers,
    validation: { ...urlPolicy, microsoftAuthority: config.AEGIS_AUTH_SSO_MICROSOFT_AUTHORITY },
  };
  const s: SessionHandlerDeps = { authorizer, sessions };
  return {
    register(router) {
      router.service(IdentityProviderService, {
        createIdentityProvider: (req, c) => createIdentityProvider(p, req, c),
        getIdentityProvider: (req, c) => getIdentityProvider(p, req, c),
        listIdentityProviders: (req, c) => listIdentityProviders(p, req, c),
        updateIdentityProvider: (req, c) => updateIdentityProvider(p, req, c),
        deleteIdentityProvider: (req, c) => deleteIdentityProvider(p, req, c),
      });
      router.service(OAuthService, {
        getAuthorizationUrl: (req) => getAuthorizationUrl(flow, req),
        exchangeCode: (req) => exchangeCode(flow, linkStore, req),
      });
      router.service(SessionService, {
        getSession: (req, c) => getSession(s, req, c),
        listSessions: (req, c) => listSessions(s, req, c),
        revokeSession: (req, c) => revokeSession(s, req, c),
        getSessionPolicy: (req, c) => getSessionPolicy(s, req, c),
        updateSessionPolicy: (req, c) => updateSessionPolicy({ ...s, defaultTimeoutMs: config.AEGIS_AUTH_SSO_SESSION_TIMEOUT_MS }, req, c),
      });
    },
    async invalidateUser(tenantId, userId) {
      await sessions.revokeAllOfUser(tenantId, userId, SERVICE, 'user disabled');
    },
    linkedIdentities: (tenantId, userId) => linkStore.listForUser(tenantId, userId),
  };
}
