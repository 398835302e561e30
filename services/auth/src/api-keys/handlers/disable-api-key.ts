import type { HandlerContext } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { DisableApiKeyRequest, DisableApiKeyResponseSchema } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { actorOf } from '../audit.js';
import { apiKeyMessage } from './api-key-message.js';
import { type HandlerDeps, keyForCaller, requireReason } from './handler-deps.js';

export async function disableApiKey(deps: HandlerDeps, req: DisableApiKeyRequest, ctx: HandlerContext): Promise<MessageInitShape<typeof DisableApiKeyResponseSchema>> {
  const reason = requireReason(req.reason);
  const { record, caller } = await keyForCaller(deps, ctx, req.tenantId, req.keyId);
  return { apiKey: apiKeyMessage(await deps.lifecycle.disable(record, reason, actorOf(caller))) };
}
