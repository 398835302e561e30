import { fileURLToPath } from 'node:url';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { IdentityProviderService } from '@aegis/proto/aegis/auth/v1/identity_provider_service_pb.js';
import { OAuthService } from '@aegis/proto/aegis/auth/v1/oauth_service_pb.js';
import { SessionService } from '@aegis/proto/aegis/auth/v1/session_service_pb.js';
import { TenantService } from '@aegis/proto/aegis/auth/v1/tenant_service_pb.js';
import { TokenService } from '@aegis/proto/aegis/auth/v1/token_service_pb.js';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import type { ServiceContext, ServiceDefinition } from '@aegis/shared';
import { PostgresApiKeyStore } from './adapters/postgres/api-key-store.js';
import { loadPepper } from './adapters/pepper-file.js';
import { keyCreatedAudit } from './audit.js';
import { bootstrapAdmin } from './bootstrap-admin.js';
import { loadAuthConfig } from './config.js';
import { ApiKeyVerifier } from './domain/api-key-verifier.js';
import { verifyApiKey } from './handlers/verify-api-key.js';

export const authService: ServiceDefinition = {
  name: 'auth',
  defaultPort: 8081,
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  async build(ctx: ServiceContext) {
    const config = loadAuthConfig(ctx.env);
    const { pepper, source } = await loadPepper(config.AEGIS_AUTH_API_KEY_PEPPER, ctx.config.serviceDataDir);
    if (source === 'file' && ctx.config.databaseUrl !== undefined) {
      ctx.logger.warn('AEGIS_AUTH_API_KEY_PEPPER is not set: using a pepper generated in the data directory; every auth instance must share one, so set it in production');
    }
    const store = new PostgresApiKeyStore(ctx.db);
    const verifier = new ApiKeyVerifier(store, pepper);

    const credential = await bootstrapAdmin(store, {
      tenantId: config.AEGIS_AUTH_BOOTSTRAP_TENANT,
      prefix: config.AEGIS_AUTH_API_KEY_PREFIX,
      environment: config.AEGIS_AUTH_API_KEY_ENVIRONMENT,
      pepper,
    });
    if (credential !== undefined) {
      ctx.logger.info({ tenantId: credential.tenantId, keyId: credential.keyId, hint: credential.hint }, 'bootstrap admin key created');
      // The key is committed and exists nowhere else: failing start-up here would lose it for
      // good (the next start sees a key and does not bootstrap). The log line above records it.
      await ctx.publisher.publish(keyCreatedAudit(credential)).catch((err: unknown) => {
        ctx.logger.error({ err, keyId: credential.keyId }, 'could not publish the audit event for the bootstrap key');
      });
    }

    return {
      routes(router) {
        router.service(ApiKeyService, {
          verifyApiKey: (req) => verifyApiKey(verifier, req),
        });
        // Contracts served now, implemented by the auth issue: their RPCs answer Unimplemented.
        for (const service of [IdentityProviderService, OAuthService, SessionService, TenantService, TokenService, UserService]) {
          router.service(service, {});
        }
      },
      banner: credential === undefined ? [] : [
        `Bootstrap admin API key for tenant "${credential.tenantId}" (shown once, store it now):`,
        `  ${credential.secret}`,
      ],
    };
  },
};
