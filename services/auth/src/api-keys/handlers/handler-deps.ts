import type { HandlerContext } from '@connectrpc/connect';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { invalidArgument, notFound, requireLength, requirePrincipal, requireTenantId } from '@aegis/shared';
import type { Authorizer } from '../../authorization.js';
import type { ApiKeyRecord } from '../domain/api-key-record.js';
import type { ApiKeyLifecycle } from '../management/api-key-lifecycle.js';
import type { ApiKeyVerification } from '../verification/api-key-verification.js';

/** What the RPC handlers are given. */
export interface HandlerDeps {
  lifecycle: ApiKeyLifecycle;
  verification: ApiKeyVerification;
  authorizer: Authorizer;
}

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function requireKeyId(keyId: string, field = 'key_id'): string {
  if (!KEY_ID.test(keyId)) throw invalidArgument(field, 'must be a key id (a UUID)');
  return keyId.toLowerCase();
}

export function requireUserId(userId: string, field = 'user_id'): string {
  return requireLength(userId, field, 1, 128);
}

/**
 * The key a caller asks about, once the caller may touch it: PermissionDenied when they may
 * not, NotFound only for callers who could have seen it. A key of another user is thus
 * indistinguishable from a missing one for a self-service caller.
 */
export async function keyForCaller(deps: HandlerDeps, ctx: HandlerContext, tenantIdField: string, keyIdField: string): Promise<{ record: ApiKeyRecord; caller: Principal }> {
  const tenantId = requireTenantId(tenantIdField);
  const keyId = requireKeyId(keyIdField);
  requirePrincipal(ctx);
  const record = await deps.lifecycle.get(tenantId, keyId);
  if (record === undefined) {
    deps.authorizer.authorize(ctx, { tenantId });
    throw notFound('api key', keyId);
  }
  return { record, caller: deps.authorizer.authorize(ctx, { tenantId, ownerUserId: record.userId }) };
}

/** Optional free text recorded in audit events (a revoke or disable reason). */
export function requireReason(reason: string, field = 'reason'): string {
  return requireLength(reason, field, 0, 1024);
}
