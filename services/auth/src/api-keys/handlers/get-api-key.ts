import type { HandlerContext } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { GetApiKeyRequest, GetApiKeyResponseSchema } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { apiKeyMessage } from './api-key-message.js';
import { type HandlerDeps, keyForCaller } from './handler-deps.js';

export async function getApiKey(deps: HandlerDeps, req: GetApiKeyRequest, ctx: HandlerContext): Promise<MessageInitShape<typeof GetApiKeyResponseSchema>> {
  const { record } = await keyForCaller(deps, ctx, req.tenantId, req.keyId);
  return { apiKey: apiKeyMessage(record) };
}
