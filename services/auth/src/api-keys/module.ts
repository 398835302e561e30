import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { PostgresApiKeyStore } from '../adapters/postgres/api-key-store.js';
import { keyCreatedAudit } from '../audit.js';
import { bootstrapAdmin, type BootstrapCredential } from '../bootstrap-admin.js';
import { ApiKeyVerifier } from '../domain/api-key-verifier.js';
import { verifyApiKey } from '../handlers/verify-api-key.js';
import type { AuthDeps, AuthModule } from '../module-ports.js';

export interface ApiKeysModule extends AuthModule {
  /** The first start's admin credential (shown once), when this start created it. */
  bootstrap: BootstrapCredential | undefined;
}

/** API keys: issue, verify (the hot path), list, rotate, revoke, disable. */
export async function createApiKeysModule(deps: AuthDeps): Promise<ApiKeysModule> {
  const { ctx, config, pepper } = deps;
  const store = new PostgresApiKeyStore(ctx.db);
  const verifier = new ApiKeyVerifier(store, pepper);

  const bootstrap = await bootstrapAdmin(store, {
    tenantId: config.AEGIS_AUTH_BOOTSTRAP_TENANT,
    prefix: config.AEGIS_AUTH_API_KEY_PREFIX,
    environment: config.AEGIS_AUTH_API_KEY_ENVIRONMENT,
    pepper,
  });
  if (bootstrap !== undefined) {
    ctx.logger.info({ tenantId: bootstrap.tenantId, keyId: bootstrap.keyId, hint: bootstrap.hint }, 'bootstrap admin key created');
    // The key is committed and exists nowhere else: failing start-up here would lose it for
    // good (the next start sees a key and does not bootstrap). The log line above records it.
    await ctx.publisher.publish(keyCreatedAudit(bootstrap)).catch((err: unknown) => {
      ctx.logger.error({ err, keyId: bootstrap.keyId }, 'could not publish the audit event for the bootstrap key');
    });
  }

  return {
    bootstrap,
    register(router) {
      router.service(ApiKeyService, {
        verifyApiKey: (req) => verifyApiKey(verifier, req),
      });
    },
  };
}
