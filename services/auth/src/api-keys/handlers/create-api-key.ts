import type { HandlerContext } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { CreateApiKeyRequest, CreateApiKeyResponseSchema } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { invalidArgument, requirePrincipal, requireTenantId } from '@aegis/shared';
import { actorOf } from '../audit.js';
import { requireEnvironment, requireKeyName, requireMetadata, requireScopes } from '../domain/key-settings.js';
import { apiKeyMessage, tierFromProto } from './api-key-message.js';
import { type HandlerDeps, requireUserId } from './handler-deps.js';

export async function createApiKey(deps: HandlerDeps, req: CreateApiKeyRequest, ctx: HandlerContext): Promise<MessageInitShape<typeof CreateApiKeyResponseSchema>> {
  const tenantId = requireTenantId(req.tenantId);
  const name = requireKeyName(req.name);
  const environment = req.environment === '' ? undefined : requireEnvironment(req.environment);
  const tier = tierFromProto(req.tier);
  const scopes = requireScopes(req.scopes);
  const metadata = requireMetadata(req.metadata);
  const caller = requirePrincipal(ctx);
  // The owner defaults to the caller, which needs a caller who is a user.
  const userId = req.userId !== '' ? requireUserId(req.userId) : caller.userId;
  if (userId === '') throw invalidArgument('user_id', 'is required when the caller is not a user');
  deps.authorizer.authorize(ctx, { tenantId, ownerUserId: userId });

  const { record, secret } = await deps.lifecycle.create({
    tenantId,
    userId,
    name,
    environment,
    roles: req.roles,
    scopes,
    tier,
    expiresAt: req.expireTime === undefined ? undefined : timestampDate(req.expireTime),
    metadata,
  }, actorOf(caller));
  return { apiKey: apiKeyMessage(record), secret };
}
