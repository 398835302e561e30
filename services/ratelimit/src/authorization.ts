import type { HandlerContext } from '@connectrpc/connect';
import { requirePrincipal } from '@aegis/shared';

// Authorisation is the permission interceptor's (definition.ts: `requirePermissions`): before
// any handler runs it has checked the request's tenant against the caller's (platform
// principals act in every tenant) and asked policy whether the caller holds the RPC's
// permission (`ratelimit:check`, `lease:acquire`, `limit:read`, `limit:write`), so custom
// roles granted those permissions work. No RPC of this service decides on one resource beyond
// that, so the handlers check nothing more; they only read who the caller is.

/** Who to record as the author of a change: the human behind the credential, else the principal. */
export function authorOf(ctx: HandlerContext): string {
  const principal = requirePrincipal(ctx);
  return principal.userId !== '' ? principal.userId : principal.id;
}
