import { InterimAuthorizer } from '@aegis/shared';

export { holdsPermission, type AuthorizeOptions } from '@aegis/shared';

// What users may do to their own resources under the platform's interim rule
// (libs/shared/src/auth/interim-authorizer.ts).
const SELF_SERVICE = new Set(['api_key:read', 'api_key:create', 'api_key:rotate', 'api_key:revoke', 'api_key:disable', 'session:read', 'user:read']);

/** Auth's RPC authorisation: the shared interim rule with auth's self-service permissions. */
export class Authorizer extends InterimAuthorizer {
  constructor(platformTenantId: string) {
    super(platformTenantId, SELF_SERVICE);
  }
}
