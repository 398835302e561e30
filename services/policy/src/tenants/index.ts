// Tenant settings from auth (aegis.tenants.v1) into policy's snapshots: see README.md.
import type { ServiceContext } from '@aegis/shared';
import { loadTenantSettingsConfig } from './config.js';
import { TenantSettingsConsumer } from './tenant-settings-consumer.js';
import { PostgresTenantSettingsStore } from './tenant-settings-store.js';

export { loadTenantSettingsConfig, tenantSettingsEnvSchema, type TenantSettingsConfig } from './config.js';
export { TenantSettingsConsumer, type TenantSettingsConsumerOptions } from './tenant-settings-consumer.js';
export { PostgresTenantSettingsStore, type TenantSettingsWriter } from './tenant-settings-store.js';
export { newestPerTenant, readTenantSettings, tenantSettingsFromEvent, type ReadResult, type TenantSettings } from './tenant-settings.js';

/** Starts the consumer (joining in the background) and registers its stop with the service. */
export function startTenantSettings(ctx: Pick<ServiceContext, 'env' | 'db' | 'events' | 'logger' | 'onShutdown'>): TenantSettingsConsumer {
  const { AEGIS_POLICY_TENANT_SETTINGS_GROUP: groupId } = loadTenantSettingsConfig(ctx.env);
  const consumer = new TenantSettingsConsumer({
    events: ctx.events,
    writer: new PostgresTenantSettingsStore(ctx.db),
    groupId,
    logger: ctx.logger.child({ module: 'tenant-settings' }),
  });
  consumer.start();
  ctx.onShutdown({ name: 'policy tenant settings consumer', run: () => consumer.stop() });
  return consumer;
}
