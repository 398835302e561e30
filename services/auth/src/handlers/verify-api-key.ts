import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ApiKeyInvalidReason } from '@aegis/proto/aegis/auth/v1/api_key_pb.js';
import { type VerifyApiKeyRequest, type VerifyApiKeyResponse, VerifyApiKeyResponseSchema } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { PrincipalSchema, PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { requireLength, requireTenantId } from '@aegis/shared';
import { tierToProto } from '../tier.js';
import type { ApiKeyVerifier, ApiKeyInvalidReason as Reason } from '../domain/api-key-verifier.js';

// Far longer than any key we issue; refuses megabyte "keys" before hashing them.
const MAX_KEY_LENGTH = 256;

const REASONS: Record<Reason, ApiKeyInvalidReason> = {
  malformed: ApiKeyInvalidReason.MALFORMED,
  bad_checksum: ApiKeyInvalidReason.BAD_CHECKSUM,
  not_found: ApiKeyInvalidReason.NOT_FOUND,
  revoked: ApiKeyInvalidReason.REVOKED,
  expired: ApiKeyInvalidReason.EXPIRED,
  disabled: ApiKeyInvalidReason.DISABLED,
  owner_disabled: ApiKeyInvalidReason.OWNER_DISABLED,
};

/** An invalid key is an answer (valid=false with a reason), not an error: the caller asked a question. */
export async function verifyApiKey(verifier: ApiKeyVerifier, req: VerifyApiKeyRequest): Promise<VerifyApiKeyResponse> {
  requireLength(req.key, 'key', 1, MAX_KEY_LENGTH);
  if (req.tenantId !== '') requireTenantId(req.tenantId);
  const verdict = await verifier.verify(req.key, req.tenantId === '' ? undefined : req.tenantId);
  // The contract names the key of a revoked/expired/disabled key (the caller holds its secret,
  // so this reveals nothing); never for another tenant's key, which is NOT_FOUND without an id.
  if (!verdict.valid) return create(VerifyApiKeyResponseSchema, { valid: false, reason: REASONS[verdict.reason], keyId: verdict.keyId ?? '' });
  const { key } = verdict;
  return create(VerifyApiKeyResponseSchema, {
    valid: true,
    keyId: key.id,
    ...(key.expiresAt !== null ? { expireTime: timestampFromDate(key.expiresAt) } : {}),
    principal: create(PrincipalSchema, {
      tenantId: key.tenantId,
      type: PrincipalType.API_KEY,
      id: key.id,
      userId: key.userId,
      apiKeyId: key.id,
      roles: key.roles,
      scopes: key.scopes,
      tier: tierToProto(key.tier),
    }),
  });
}
