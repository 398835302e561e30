import { fileURLToPath } from 'node:url';
import { createCredentialVerifier, inProcessApiKeyCheck, loadAuthenticationConfig, type CredentialVerifier, type ServiceContext, type ServiceDefinition } from '@aegis/shared';
import { loadKeyring } from './adapters/keyring-file.js';
import { loadPepper } from './adapters/pepper-file.js';
import { createApiKeysModule, type ApiKeysModule } from './api-keys/module.js';
import { Authorizer } from './authorization.js';
import { loadAuthConfig } from './config.js';
import { createCredentialEventsModule } from './credential-events/module.js';
import type { AuthDeps, AuthModule } from './module-ports.js';
import { createSsoModule } from './sso/module.js';
import { createTokensModule, type TokensModule } from './tokens/module.js';
import { createUsersModule } from './users/module.js';
import type { UsersLinks } from './users/ports.js';

export const authService: ServiceDefinition = {
  name: 'auth',
  defaultPort: 8081,
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  async build(ctx: ServiceContext) {
    const deps = await authDeps(ctx);
    const apiKeys = await createApiKeysModule(deps);
    // tokens.issuer (TokenIssuer) is for the SSO module; tokens.invalidation (CredentialInvalidation) for users.
    const tokens = await createTokensModule(deps);
    // Users before SSO (a login finds or creates its user in the directory); SSO's side of the
    // users links (sessions to end, linked identities) is added once SSO exists.
    const userLinks: UsersLinks = { invalidations: [apiKeys.invalidation, tokens.invalidation] };
    const users = await createUsersModule(deps, userLinks);
    const sso = await createSsoModule(deps, { users: users.directory, tokens: tokens.issuer });
    userLinks.invalidations = [...userLinks.invalidations, sso];
    userLinks.identities = (tenantId, userId) => sso.linkedIdentities(tenantId, userId);
    const credentialEvents = await createCredentialEventsModule(deps);
    const modules: AuthModule[] = [apiKeys, tokens, sso, users, credentialEvents];
    for (const module of modules) {
      if (module.close !== undefined) ctx.onShutdown({ name: 'auth module', run: () => module.close!() });
    }
    const credential = apiKeys.bootstrap;
    return {
      routes(router) {
        for (const module of modules) module.register(router);
      },
      httpRoutes: Object.assign({}, ...modules.map((m) => m.httpRoutes ?? {})),
      credentialVerifier: await ownCredentialVerifier(ctx, deps, apiKeys, tokens),
      banner: credential === undefined ? [] : [
        `Bootstrap admin API key for tenant "${credential.tenantId}" (shown once, store it now):`,
        `  ${credential.secret}`,
      ],
    };
  },
};

async function authDeps(ctx: ServiceContext): Promise<AuthDeps> {
  const config = loadAuthConfig(ctx.env);
  const { pepper, source: pepperSource } = await loadPepper(config.AEGIS_AUTH_API_KEY_PEPPER, ctx.config.serviceDataDir);
  const { keyring, source: keyringSource } = await loadKeyring(config.AEGIS_AUTH_ENCRYPTION_KEYS, ctx.config.serviceDataDir);
  if (ctx.config.databaseUrl !== undefined && (pepperSource === 'file' || keyringSource === 'file')) {
    ctx.logger.warn('AEGIS_AUTH_API_KEY_PEPPER or AEGIS_AUTH_ENCRYPTION_KEYS is not set: using secrets generated in the data directory; every auth instance must share them, so set both in production');
  }
  const issuer = config.AEGIS_AUTH_ISSUER ?? `http://${ctx.config.host}:${ctx.config.port}`;
  return { ctx, config, pepper, keyring, issuer, authorizer: new Authorizer(config.AEGIS_AUTH_BOOTSTRAP_TENANT) };
}

/**
 * Auth authenticates its own callers in process (no network hop to itself): API keys through
 * its ApiKeyService implementation, which caches and invalidates by itself; access tokens
 * against its own key ring and revocation marks, plus the platform's credential events.
 */
function ownCredentialVerifier(ctx: ServiceContext, deps: AuthDeps, apiKeys: ApiKeysModule, tokens: TokensModule): Promise<CredentialVerifier> {
  const { audience } = loadAuthenticationConfig(ctx.env);
  return createCredentialVerifier({
    checkApiKey: inProcessApiKeyCheck((router) => apiKeys.register(router), { logger: ctx.logger }),
    apiKeyCacheTtlMs: 0,
    accessTokens: {
      issuer: deps.issuer,
      audience,
      keys: tokens.keys.verificationKeys,
      isRevoked: (claims) => tokens.revocationMarks.isRevoked(claims),
    },
    credentialEvents: ctx.credentialEvents,
    logger: ctx.logger,
  });
}
