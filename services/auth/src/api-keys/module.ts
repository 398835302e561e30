import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import type { AuthDeps, AuthModule, CredentialInvalidation } from '../module-ports.js';
import { KvSharedKeyCache } from './adapters/kv/shared-key-cache.js';
import { PostgresApiKeyRepository } from './adapters/postgres/api-key-repository.js';
import { PostgresApiKeyStore } from './adapters/postgres/api-key-store.js';
import { bootstrapKeyCreatedAudit, verificationThrottledAudit } from './audit.js';
import { bootstrapAdmin, type BootstrapCredential } from './bootstrap-admin.js';
import { loadApiKeysConfig } from './config.js';
import { ApiKeyVerifier } from './domain/api-key-verifier.js';
import { createApiKey } from './handlers/create-api-key.js';
import { disableApiKey } from './handlers/disable-api-key.js';
import { enableApiKey } from './handlers/enable-api-key.js';
import { getApiKey } from './handlers/get-api-key.js';
import type { HandlerDeps } from './handlers/handler-deps.js';
import { listApiKeys } from './handlers/list-api-keys.js';
import { revokeApiKey } from './handlers/revoke-api-key.js';
import { rotateApiKey } from './handlers/rotate-api-key.js';
import { updateApiKey } from './handlers/update-api-key.js';
import { verifyApiKey } from './handlers/verify-api-key.js';
import { ApiKeyLifecycle } from './management/api-key-lifecycle.js';
import { ApiKeyVerification } from './verification/api-key-verification.js';
import { CachingKeySource } from './verification/caching-key-source.js';
import { FailureThrottle } from './verification/failure-throttle.js';
import { KeyInvalidation } from './verification/key-invalidation.js';
import { LastUsedRecorder } from './verification/last-used-recorder.js';
import { VerificationMetrics } from './verification/verification-metrics.js';

export interface ApiKeysModule extends AuthModule {
  /** The first start's admin credential (shown once), when this start created it. */
  bootstrap: BootstrapCredential | undefined;
  /**
   * For the users module: `invalidateUser` makes a user's keys fail everywhere within a second
   * (tenant lock-out; they work again when it ends); `revokeUser` (DisableUser) revokes them for good.
   */
  invalidation: CredentialInvalidation & { revokeUser(tenantId: string, userId: string): Promise<{ revokedApiKeys: number }> };
}

/** API keys: issue, verify (the hot path), list, update, rotate, revoke, disable/enable. */
export async function createApiKeysModule(deps: AuthDeps): Promise<ApiKeysModule> {
  const { ctx, config, pepper } = deps;
  const keysConfig = loadApiKeysConfig(ctx.env);
  const store = new PostgresApiKeyStore(ctx.db);
  const repository = new PostgresApiKeyRepository(ctx.db);
  const shared = new KvSharedKeyCache(ctx.kv);
  const metrics = new VerificationMetrics(ctx.metrics.registry);

  const cache = new CachingKeySource(store, shared, {
    ttlMs: keysConfig.AEGIS_AUTH_API_KEY_CACHE_TTL_MS,
    maxEntries: keysConfig.AEGIS_AUTH_API_KEY_CACHE_MAX_ENTRIES,
    negativeTtlMs: keysConfig.AEGIS_AUTH_API_KEY_NEGATIVE_CACHE_TTL_MS,
    negativeMaxEntries: keysConfig.AEGIS_AUTH_API_KEY_NEGATIVE_CACHE_MAX_ENTRIES,
  }, metrics, ctx.logger);
  const invalidation = new KeyInvalidation({
    cache, shared, repository, metrics,
    broadcast: ctx.broadcast,
    credentialEvents: ctx.credentialEvents,
    logger: ctx.logger,
  });
  await invalidation.start();

  const lastUsed = new LastUsedRecorder(store, keysConfig.AEGIS_AUTH_API_KEY_LAST_USED_FLUSH_MS, ctx.logger);
  lastUsed.start();
  const windowMs = keysConfig.AEGIS_AUTH_API_KEY_THROTTLE_WINDOW_MS;
  const throttle = new FailureThrottle(ctx.kv, {
    maxFailures: keysConfig.AEGIS_AUTH_API_KEY_THROTTLE_FAILURES,
    windowMs,
    blockMs: keysConfig.AEGIS_AUTH_API_KEY_THROTTLE_BLOCK_MS,
  });
  const verification = new ApiKeyVerification(new ApiKeyVerifier(cache, pepper), throttle, lastUsed, metrics, ctx.logger, (source, crossing, tenantId) => {
    const event = verificationThrottledAudit({ tenantId: tenantId ?? config.AEGIS_AUTH_BOOTSTRAP_TENANT, source, crossing, windowMs });
    ctx.logger.warn({ failures: crossing.failures }, 'api keys: a source is throttled after repeated failed verifications');
    ctx.publisher.publish(event).catch((err: unknown) => ctx.logger.error({ err }, 'api keys: could not publish the throttling audit event'));
  });
  const lifecycle = new ApiKeyLifecycle({
    repository,
    keysChanged: (keys) => invalidation.keysChanged(keys),
    publish: (event) => ctx.publisher.publish(event),
    logger: ctx.logger,
    pepper,
    prefix: config.AEGIS_AUTH_API_KEY_PREFIX,
    defaultEnvironment: config.AEGIS_AUTH_API_KEY_ENVIRONMENT,
    defaultTier: keysConfig.AEGIS_AUTH_API_KEY_DEFAULT_TIER,
  });

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
    await ctx.publisher.publish(bootstrapKeyCreatedAudit(bootstrap)).catch((err: unknown) => {
      ctx.logger.error({ err, keyId: bootstrap.keyId }, 'could not publish the audit event for the bootstrap key');
    });
  }

  const handlerDeps: HandlerDeps = { lifecycle, verification, authorizer: deps.authorizer };
  const userKeys = {
    invalidateUser: (tenantId: string, userId: string) => invalidation.invalidateUser(tenantId, userId),
    async revokeUser(tenantId: string, userId: string) {
      const actor = { type: PrincipalType.SERVICE, id: 'aegis-auth' };
      let revokedApiKeys = 0;
      // Revoked keys leave the listing, so the first page is read again until it is empty.
      const done = new Set<string>();
      for (;;) {
        const { records } = await lifecycle.list({ tenantId, userId, includeRevoked: false }, 100, '');
        const pending = records.filter((record) => !done.has(record.id));
        if (pending.length === 0) break;
        for (const record of pending) {
          await lifecycle.revoke(record, 'owner disabled', actor);
          done.add(record.id);
        }
      }
      revokedApiKeys = done.size;
      await invalidation.invalidateUser(tenantId, userId);
      return { revokedApiKeys };
    },
  };
  return {
    bootstrap,
    invalidation: userKeys,
    register(router) {
      router.service(ApiKeyService, {
        createApiKey: (req, handlerCtx) => createApiKey(handlerDeps, req, handlerCtx),
        verifyApiKey: (req, handlerCtx) => verifyApiKey(handlerDeps, req, handlerCtx),
        getApiKey: (req, handlerCtx) => getApiKey(handlerDeps, req, handlerCtx),
        listApiKeys: (req, handlerCtx) => listApiKeys(handlerDeps, req, handlerCtx),
        updateApiKey: (req, handlerCtx) => updateApiKey(handlerDeps, req, handlerCtx),
        rotateApiKey: (req, handlerCtx) => rotateApiKey(handlerDeps, req, handlerCtx),
        revokeApiKey: (req, handlerCtx) => revokeApiKey(handlerDeps, req, handlerCtx),
        disableApiKey: (req, handlerCtx) => disableApiKey(handlerDeps, req, handlerCtx),
        enableApiKey: (req, handlerCtx) => enableApiKey(handlerDeps, req, handlerCtx),
      });
    },
    async close() {
      // Last-used times first (they need the database, closed after this step), then the subscriptions.
      await lastUsed.close();
      await invalidation.close();
    },
  };
}
