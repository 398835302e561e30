import { TenantService } from '@aegis/proto/aegis/auth/v1/tenant_service_pb.js';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import type { AuthDeps, AuthModule } from '../module-ports.js';

/** Tenants, users and their role assignments. */
export async function createUsersModule(_deps: AuthDeps): Promise<AuthModule> {
  return {
    register(router) {
      router.service(TenantService, {});
      router.service(UserService, {});
    },
  };
}
