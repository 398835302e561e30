import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { notFound, type ActorInit, type EventPublisher, type Logger } from '@aegis/shared';
import { uuidv7 } from 'uuidv7';
import { tenantAudit, userAudit } from './audit.js';
import { updateTenant, type TenantUpdate } from './domain/tenant-changes.js';
import { ADMIN_ROLE, type StoredUser } from './domain/user.js';
import type { NewTenant, StoredTenant } from './domain/tenant.js';
import type { TenantStore } from './ports.js';
import type { TenantSettingsFeed } from './tenant-settings-feed.js';
import type { UserAccounts } from './user-accounts.js';

export interface TenantRegistryDeps {
  store: TenantStore;
  users: UserAccounts;
  publisher: Pick<EventPublisher, 'publish'>;
  /** Puts the committed settings on aegis.tenants.v1 for policy and billing. */
  settings: Pick<TenantSettingsFeed, 'offer'>;
  logger: Logger;
}

/** Tenants once a request is validated and authorised: storage, lock-out on disable, settings feed, audit. */
export class TenantRegistry {
  constructor(private readonly deps: TenantRegistryDeps) {}

  /** The tenant and its first user, who holds `admin`, atomically: a tenant is never left without an administrator. */
  async create(actor: ActorInit, tenant: NewTenant, adminEmail: string): Promise<{ tenant: StoredTenant; admin: StoredUser }> {
    const created = await this.deps.store.create(tenant, {
      tenantId: tenant.id,
      id: uuidv7(),
      email: adminEmail,
      displayName: '',
      roles: [ADMIN_ROLE],
      attributes: {},
    });
    this.deps.settings.offer(created.tenant, actor);
    await this.audit(tenantAudit({ action: 'tenant.created', actor, tenant: created.tenant, message: `tenant ${tenant.id} created` }));
    await this.audit(userAudit({ action: 'user.created', actor, user: created.admin, message: `user ${created.admin.id} created as the first admin of tenant ${tenant.id}`, details: { roles: ADMIN_ROLE } }));
    return created;
  }

  async get(tenantId: string): Promise<StoredTenant> {
    const tenant = await this.deps.store.get(tenantId);
    if (tenant === undefined) throw notFound('tenant', tenantId);
    return tenant;
  }

  list(query: { limit: number; afterId?: string }): Promise<StoredTenant[]> {
    return this.deps.store.list(query);
  }

  async update(actor: ActorInit, tenantId: string, update: TenantUpdate, caller: { platform: boolean }): Promise<StoredTenant> {
    const result = await this.deps.store.modify(tenantId, updateTenant(update, caller));
    if (result === undefined) throw notFound('tenant', tenantId);
    const { before, after } = result;
    this.deps.settings.offer(after, actor);
    // Runs again on every update of a disabled tenant, so a retry after a partial failure finishes it.
    if (after.disabledAt !== null) await this.deps.users.lockOutTenant(tenantId);
    const disabledChange = (before.disabledAt === null) !== (after.disabledAt === null);
    await this.audit(tenantAudit({
      action: 'tenant.updated', actor, tenant: after,
      message: disabledChange ? `tenant ${tenantId} ${after.disabledAt !== null ? 'disabled' : 're-enabled'}` : `tenant ${tenantId} updated`,
      details: { disabled: String(after.disabledAt !== null) },
    }));
    return after;
  }

  private async audit(event: Event): Promise<void> {
    await this.deps.publisher.publish(event).catch((err: unknown) => {
      this.deps.logger.error({ err, eventId: event.id, action: event.action }, 'could not publish an audit event');
    });
  }
}
