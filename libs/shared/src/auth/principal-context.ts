import { createContextKey, type HandlerContext } from '@connectrpc/connect';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { unauthenticated } from '../errors/index.js';

/**
 * The verified caller of the current request, set by the authentication interceptor and read
 * by handlers and the permission interceptor. Per request, never global.
 */
export const principalKey = createContextKey<Principal | undefined>(undefined, { description: 'authenticated principal' });

export function currentPrincipal(ctx: HandlerContext): Principal | undefined {
  return ctx.values.get(principalKey);
}

/** The principal, or Unauthenticated: for handlers of RPCs that are never public. */
export function requirePrincipal(ctx: HandlerContext): Principal {
  const principal = ctx.values.get(principalKey);
  if (principal === undefined) throw unauthenticated('this call needs a credential: send "Authorization: Bearer <api key or token>"');
  return principal;
}
