import type { HandlerContext } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { RevokeApiKeyRequest, RevokeApiKeyResponseSchema } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { actorOf } from '../audit.js';
import { apiKeyMessage } from './api-key-message.js';
import { type HandlerDeps, keyForCaller, requireReason } from './handler-deps.js';

/** Permanent and idempotent: revoking a revoked key answers its record (and pushes the invalidation again). */
export async function revokeApiKey(deps: HandlerDeps, req: RevokeApiKeyRequest, ctx: HandlerContext): Promise<MessageInitShape<typeof RevokeApiKeyResponseSchema>> {
  const reason = requireReason(req.reason);
  const { record, caller } = await keyForCaller(deps, ctx, req.tenantId, req.keyId);
  return { apiKey: apiKeyMessage(await deps.lifecycle.revoke(record, reason, actorOf(caller))) };
}
