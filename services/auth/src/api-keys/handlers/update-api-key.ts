import type { HandlerContext } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { UpdateApiKeyRequest, UpdateApiKeyResponseSchema } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { invalidArgument } from '@aegis/shared';
import { actorOf } from '../audit.js';
import { requireKeyName, requireMetadata, requireScopes } from '../domain/key-settings.js';
import { apiKeyMessage, tierFromProto } from './api-key-message.js';
import { type HandlerDeps, keyForCaller } from './handler-deps.js';

/** Replaces every mutable field (read, modify, write back), as Update* does everywhere. */
export async function updateApiKey(deps: HandlerDeps, req: UpdateApiKeyRequest, ctx: HandlerContext): Promise<MessageInitShape<typeof UpdateApiKeyResponseSchema>> {
  const name = requireKeyName(req.name);
  const tier = tierFromProto(req.tier);
  if (tier === undefined) throw invalidArgument('tier', 'is required (an update replaces every field)');
  const scopes = requireScopes(req.scopes);
  const metadata = requireMetadata(req.metadata);
  if (req.expectedVersion < 0n) throw invalidArgument('expected_version', 'must not be negative');
  const { record, caller } = await keyForCaller(deps, ctx, req.tenantId, req.keyId);
  const updated = await deps.lifecycle.update(record, {
    name,
    roles: req.roles,
    scopes,
    tier,
    metadata,
    expiresAt: req.expireTime === undefined ? undefined : timestampDate(req.expireTime),
  }, req.expectedVersion, actorOf(caller));
  return { apiKey: apiKeyMessage(updated) };
}
