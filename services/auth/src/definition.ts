import { fileURLToPath } from 'node:url';
import type { ServiceContext, ServiceDefinition } from '@aegis/shared';
import { loadKeyring } from './adapters/keyring-file.js';
import { loadPepper } from './adapters/pepper-file.js';
import { createApiKeysModule } from './api-keys/module.js';
import { Authorizer } from './authorization.js';
import { loadAuthConfig } from './config.js';
import type { AuthDeps, AuthModule } from './module-ports.js';
import { createSsoModule } from './sso/module.js';
import { createTokensModule } from './tokens/module.js';
import { createUsersModule } from './users/module.js';

export const authService: ServiceDefinition = {
  name: 'auth',
  defaultPort: 8081,
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  async build(ctx: ServiceContext) {
    const deps = await authDeps(ctx);
    const apiKeys = await createApiKeysModule(deps);
    const modules: AuthModule[] = [
      apiKeys,
      await createTokensModule(deps),
      await createSsoModule(deps),
      await createUsersModule(deps),
    ];
    for (const module of modules) {
      if (module.close !== undefined) ctx.onShutdown({ name: 'auth module', run: () => module.close!() });
    }
    const credential = apiKeys.bootstrap;
    return {
      routes(router) {
        for (const module of modules) module.register(router);
      },
      httpRoutes: Object.assign({}, ...modules.map((m) => m.httpRoutes ?? {})),
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
