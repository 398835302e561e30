import { TenantService } from '@aegis/proto/aegis/auth/v1/tenant_service_pb.js';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import type { AuthDeps, AuthModule, UserDirectory } from '../module-ports.js';
import { PostgresTenantStore } from './adapters/postgres/tenant-store.js';
import { PostgresUserStore } from './adapters/postgres/user-store.js';
import { assignRoles } from './handlers/assign-roles.js';
import { createTenant } from './handlers/create-tenant.js';
import { createUser } from './handlers/create-user.js';
import { disableUser } from './handlers/disable-user.js';
import { enableUser } from './handlers/enable-user.js';
import { getTenant } from './handlers/get-tenant.js';
import { getUser } from './handlers/get-user.js';
import type { UsersHandlerDeps } from './handlers/handler-deps.js';
import { listTenants } from './handlers/list-tenants.js';
import { listUsers } from './handlers/list-users.js';
import { unassignRoles } from './handlers/unassign-roles.js';
import { updateTenant } from './handlers/update-tenant.js';
import { updateUser } from './handlers/update-user.js';
import type { UsersLinks } from './ports.js';
import { TenantRegistry } from './tenant-registry.js';
import { TenantSettingsFeed } from './tenant-settings-feed.js';
import { UserAccounts } from './user-accounts.js';
import { AccountDirectory } from './user-directory.js';

export interface UsersModule extends AuthModule {
  /** For the SSO module: find or create the user behind a login. */
  directory: UserDirectory;
}

/** Tenants, users and their role assignments. */
export async function createUsersModule(deps: AuthDeps, links: UsersLinks = { invalidations: [] }): Promise<UsersModule> {
  const { ctx } = deps;
  const logger = ctx.logger.child({ module: 'users' });
  const users = new UserAccounts({ store: new PostgresUserStore(ctx.db), links, credentialEvents: ctx.credentialEvents, publisher: ctx.publisher, logger });
  const tenantStore = new PostgresTenantStore(ctx.db);
  const settings = new TenantSettingsFeed({ publisher: ctx.publisher, logger });
  const tenants = new TenantRegistry({ store: tenantStore, users, publisher: ctx.publisher, settings, logger });
  // Every tenant once per start, in the background (Kafka may be down): a deployment that
  // predates aegis.tenants.v1, or a change whose publish never succeeded, converges.
  settings.republishAll(tenantStore);
  const h: UsersHandlerDeps = { users, tenants, authorizer: deps.authorizer, platformTenantId: deps.config.AEGIS_AUTH_BOOTSTRAP_TENANT };
  return {
    directory: new AccountDirectory(users),
    close: () => settings.close(),
    register(router) {
      router.service(TenantService, {
        createTenant: (req, c) => createTenant(h, req, c),
        getTenant: (req, c) => getTenant(h, req, c),
        listTenants: (req, c) => listTenants(h, req, c),
        updateTenant: (req, c) => updateTenant(h, req, c),
      });
      router.service(UserService, {
        createUser: (req, c) => createUser(h, req, c),
        getUser: (req, c) => getUser(h, req, c),
        listUsers: (req, c) => listUsers(h, req, c),
        updateUser: (req, c) => updateUser(h, req, c),
        disableUser: (req, c) => disableUser(h, req, c),
        enableUser: (req, c) => enableUser(h, req, c),
        assignRoles: (req, c) => assignRoles(h, req, c),
        unassignRoles: (req, c) => unassignRoles(h, req, c),
      });
    },
  };
}
