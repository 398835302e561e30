import { fileURLToPath } from 'node:url';
import { loadPermissionConfig, type ServiceContext, type ServiceDefinition } from '@aegis/shared';
import { KeyedHasher } from '@aegis/pii-engine';
import { PostgresDlpStore } from './adapters/postgres/dlp-store.js';
import { PiiAuditLog } from './audit/pii-audit-log.js';
import { loadPiiConfig, loadPiiSecrets } from './config.js';
import { DlpCache } from './dlp/dlp-cache.js';
import { DlpChangeFeed } from './dlp/dlp-change-feed.js';
import { registerDlpService } from './dlp/module.js';
import { TokenVault } from './domain/tokenization/token-vault.js';
import { registerInputValidationService } from './input-validation/module.js';
import { ContentDetection } from './pii/detection-service.js';
import { registerPiiService } from './pii/module.js';

export const piiService: ServiceDefinition = {
  name: 'pii',
  defaultPort: 8084,
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  requirePermissions: true,
  async build(ctx: ServiceContext) {
    const config = loadPiiConfig(ctx.env);
    const secrets = await loadPiiSecrets(config, ctx.config.serviceDataDir);
    if (secrets.source === 'file') {
      ctx.logger.warn('AEGIS_PII_HASH_KEY or AEGIS_PII_TOKEN_KEYS is not set: using keys generated in the data directory; every pii instance must share them, so set both in production');
    }
    const store = new PostgresDlpStore(ctx.db);
    const dlp = await DlpCache.start({ store, db: ctx.db, logger: ctx.logger });
    const hasher = new KeyedHasher(secrets.hashKey);
    const audit = new PiiAuditLog(ctx.publisher, ctx.logger, hasher);
    ctx.onShutdown({ name: 'pii dlp cache', run: () => dlp.close() });
    // SDKs scanning locally hear of changes through WatchDlpChanges. Streams end as the server
    // starts draining, so their callers move to another instance instead of holding it open.
    const changes = await DlpChangeFeed.start(ctx.db);
    const stopWatchesOnDrain = ctx.health.onChange(() => {
      if (ctx.health.draining) void changes.stop();
    });
    ctx.onShutdown({
      name: 'pii dlp change watches',
      run: async () => {
        stopWatchesOnDrain();
        await changes.stop();
      },
    });
    // After the server drained, before the event producer closes.
    ctx.onShutdown({ name: 'pii audit', run: () => audit.flush() });
    const deps = { detection: new ContentDetection(dlp), dlp, hasher, vault: new TokenVault(secrets.tokenKeyring), audit, auditDetections: config.AEGIS_PII_AUDIT_DETECTIONS };
    return {
      routes(router) {
        registerPiiService(router, deps);
        registerDlpService(router, { store, audit }, { feed: changes, store, platformTenantId: loadPermissionConfig(ctx.env).platformTenantId, heartbeatMs: config.AEGIS_PII_WATCH_HEARTBEAT_MS });
        registerInputValidationService(router);
      },
    };
  },
};
