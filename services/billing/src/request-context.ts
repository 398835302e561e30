import type { HandlerContext } from '@connectrpc/connect';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { requirePrincipal } from '@aegis/shared';

// The permission interceptor (requirePermissions in definition.ts) has already checked that the
// caller holds the RPC's permission and may act in the request's tenant; handlers only resolve
// an empty tenant_id to the caller's own.

export function tenantOf(requested: string, ctx: HandlerContext): string {
  return requested !== '' ? requested : requirePrincipal(ctx).tenantId;
}

/** Who to record as the author of a change: the human behind the credential, else the principal. */
export function authorOf(ctx: HandlerContext): string {
  const principal: Principal = requirePrincipal(ctx);
  return principal.userId !== '' ? principal.userId : principal.id;
}

export function pageOffset(token: string): number | undefined {
  if (token === '') return 0;
  const match = /^o(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

export function pageToken(offset: number): string {
  return Buffer.from(`o${offset}`, 'utf8').toString('base64url');
}

export function pageSizeOf(requested: number): number | undefined {
  if (requested === 0) return 100;
  return requested >= 1 && requested <= 1000 ? requested : undefined;
}
