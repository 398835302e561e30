import type { HandlerContext } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ListApiKeysRequest, ListApiKeysResponseSchema } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { requireTenantId } from '@aegis/shared';
import { pageSizeOf } from '../domain/page-token.js';
import { apiKeyMessage } from './api-key-message.js';
import { type HandlerDeps, requireUserId } from './handler-deps.js';

export async function listApiKeys(deps: HandlerDeps, req: ListApiKeysRequest, ctx: HandlerContext): Promise<MessageInitShape<typeof ListApiKeysResponseSchema>> {
  const tenantId = requireTenantId(req.tenantId);
  const userId = req.userId === '' ? undefined : requireUserId(req.userId);
  pageSizeOf(req.pageSize);
  // Listing one's own keys is self-service; listing everyone's needs api_key:read.
  deps.authorizer.authorize(ctx, { tenantId, ...(userId !== undefined ? { ownerUserId: userId } : {}) });
  const { records, nextPageToken } = await deps.lifecycle.list(
    { tenantId, ...(userId !== undefined ? { userId } : {}), includeRevoked: req.includeRevoked },
    req.pageSize,
    req.pageToken,
  );
  return { apiKeys: records.map(apiKeyMessage), nextPageToken };
}
