import type { HandlerContext } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { RotateApiKeyRequest, RotateApiKeyResponseSchema } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { actorOf } from '../audit.js';
import { requireGracePeriodMs } from '../domain/key-settings.js';
import { apiKeyMessage } from './api-key-message.js';
import { type HandlerDeps, keyForCaller } from './handler-deps.js';

export async function rotateApiKey(deps: HandlerDeps, req: RotateApiKeyRequest, ctx: HandlerContext): Promise<MessageInitShape<typeof RotateApiKeyResponseSchema>> {
  // Unset grace = 0: the old secret stops working at once.
  const grace = req.gracePeriod;
  const graceMs = requireGracePeriodMs(grace === undefined ? 0 : Number(grace.seconds) * 1000 + grace.nanos / 1e6);
  const { record, caller } = await keyForCaller(deps, ctx, req.tenantId, req.keyId);
  const { previous, next, secret } = await deps.lifecycle.rotate(record, graceMs, actorOf(caller));
  return { apiKey: apiKeyMessage(next), secret, previousApiKey: apiKeyMessage(previous) };
}
