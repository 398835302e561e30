import type { HandlerContext } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { EnableApiKeyRequest, EnableApiKeyResponseSchema } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { actorOf } from '../audit.js';
import { apiKeyMessage } from './api-key-message.js';
import { type HandlerDeps, keyForCaller } from './handler-deps.js';

export async function enableApiKey(deps: HandlerDeps, req: EnableApiKeyRequest, ctx: HandlerContext): Promise<MessageInitShape<typeof EnableApiKeyResponseSchema>> {
  const { record, caller } = await keyForCaller(deps, ctx, req.tenantId, req.keyId);
  return { apiKey: apiKeyMessage(await deps.lifecycle.enable(record, actorOf(caller))) };
}
