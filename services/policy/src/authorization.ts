import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';

// Policy's own RPCs use the platform's interim rule (libs/shared/src/auth/interim-authorizer.ts)
// until policy's permission interceptor replaces it for every service.
export { holdsPermission, InterimAuthorizer as Authorizer, type AuthorizeOptions } from '@aegis/shared';

/** Who to record as the author of a change: the human behind the credential, else the principal. */
export function authorOf(principal: Principal): string {
  return principal.userId !== '' ? principal.userId : principal.id;
}
