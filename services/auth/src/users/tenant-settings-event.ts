import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { createEvent, type ActorInit } from '@aegis/shared';
import type { StoredTenant } from './domain/tenant.js';

// The tenant's settings as other services read them (topic aegis.tenants.v1, docs/events.md):
// the whole current state, so the latest event per tenant is all a consumer needs.

export const TENANT_SETTINGS_ACTION = 'tenant.settings_changed';

/** The auth service itself, publishing on its own (the start-up republish). */
export const AUTH_SERVICE_ACTOR: ActorInit = { type: PrincipalType.SERVICE, id: 'aegis-auth' };

export function tenantSettingsEvent(tenant: StoredTenant, actor: ActorInit): Event {
  return createEvent({
    source: 'auth',
    tenantId: tenant.id,
    actor,
    action: TENANT_SETTINGS_ACTION,
    // State, not an attempt: no outcome applies (as for usage records).
    payload: {
      case: 'tenantSettings',
      value: {
        tenantId: tenant.id,
        timeZone: tenant.timeZone,
        ...(tenant.businessHours !== null ? { businessHours: { ...tenant.businessHours } } : {}),
        disabled: tenant.disabledAt !== null,
        version: tenant.version,
        updateTime: timestampFromDate(tenant.updateTime),
      },
    },
  });
}
