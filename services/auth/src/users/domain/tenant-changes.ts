import { permissionDenied } from '@aegis/shared';
import { checkVersion } from './user-changes.js';
import type { StoredTenant, TenantPatch } from './tenant.js';

export interface TenantUpdate extends TenantPatch {
  expectedVersion: bigint;
}

/**
 * UpdateTenant replaces the mutable fields. Switching `disabled` locks every user of the tenant
 * out, so only a platform operator may do it; a tenant admin sending the current value passes.
 */
export function updateTenant(update: TenantUpdate, caller: { platform: boolean }): (tenant: StoredTenant) => TenantPatch {
  return (tenant) => {
    checkVersion(tenant, update.expectedVersion);
    const disabled = tenant.disabledAt !== null;
    if (update.disabled !== disabled && !caller.platform) {
      throw permissionDenied('only a platform operator may disable or re-enable a tenant');
    }
    return { displayName: update.displayName, timeZone: update.timeZone, businessHours: update.businessHours, disabled: update.disabled };
  };
}
