import type { HandlerContext } from '@connectrpc/connect';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ApiKeyInvalidReason } from '@aegis/proto/aegis/auth/v1/api_key_pb.js';
import { type VerifyApiKeyRequest, type VerifyApiKeyResponse, VerifyApiKeyResponseSchema } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { requireLength, requireTenantId } from '@aegis/shared';
import type { StoredApiKey } from '../ports.js';
import type { VerificationOutcome } from '../verification/api-key-verification.js';
import { tierToProto } from './api-key-message.js';
import { callerSource } from './caller-source.js';
import type { HandlerDeps } from './handler-deps.js';

// Far longer than any key we issue; refuses megabyte "keys" before hashing them.
const MAX_KEY_LENGTH = 256;

type Reason = Exclude<VerificationOutcome, { valid: true }>['reason'];

const REASONS: Record<Reason, ApiKeyInvalidReason> = {
  malformed: ApiKeyInvalidReason.MALFORMED,
  bad_checksum: ApiKeyInvalidReason.BAD_CHECKSUM,
  not_found: ApiKeyInvalidReason.NOT_FOUND,
  revoked: ApiKeyInvalidReason.REVOKED,
  expired: ApiKeyInvalidReason.EXPIRED,
  disabled: ApiKeyInvalidReason.DISABLED,
  owner_disabled: ApiKeyInvalidReason.OWNER_DISABLED,
  throttled: ApiKeyInvalidReason.THROTTLED,
};

// One answer per cached key record (the record object lives as long as its cache entry):
// for a key that verifies, the answer depends on nothing else, so the hot path neither
// builds the principal nor the response again. Connect serialises it on every call.
const validAnswers = new WeakMap<StoredApiKey, VerifyApiKeyResponse>();

function validAnswerFor(key: StoredApiKey): VerifyApiKeyResponse {
  let answer = validAnswers.get(key);
  if (answer === undefined) {
    answer = create(VerifyApiKeyResponseSchema, {
      valid: true,
      keyId: key.id,
      ...(key.expiresAt !== null ? { expireTime: timestampFromDate(key.expiresAt) } : {}),
      principal: {
        tenantId: key.tenantId,
        type: PrincipalType.API_KEY,
        id: key.id,
        userId: key.userId,
        apiKeyId: key.id,
        roles: key.roles,
        scopes: key.scopes,
        tier: tierToProto(key.tier),
      },
    });
    validAnswers.set(key, answer);
  }
  return answer;
}

/** An invalid key is an answer (valid=false with a reason), not an error: the caller asked a question. */
export async function verifyApiKey(deps: Pick<HandlerDeps, 'verification'>, req: VerifyApiKeyRequest, ctx: HandlerContext): Promise<MessageInitShape<typeof VerifyApiKeyResponseSchema>> {
  // Cheap pre-check in UTF-16 units; the exact (code point) check and its message only when it fails.
  if (req.key.length === 0 || req.key.length > MAX_KEY_LENGTH) requireLength(req.key, 'key', 1, MAX_KEY_LENGTH);
  if (req.tenantId !== '') requireTenantId(req.tenantId);
  const outcome = await deps.verification.verify({
    key: req.key,
    ...(req.tenantId !== '' ? { tenantId: req.tenantId } : {}),
    source: callerSource(req.source, ctx.requestHeader),
  });
  if (!outcome.valid) {
    if (outcome.reason === 'throttled') return { valid: false, reason: ApiKeyInvalidReason.THROTTLED, retryAfter: durationFromMs(outcome.retryAfterMs) };
    // The contract names the key of a revoked/expired/disabled key (the caller holds its secret,
    // so this reveals nothing); never for another tenant's key, which is NOT_FOUND without an id.
    return { valid: false, reason: REASONS[outcome.reason], keyId: outcome.keyId ?? '' };
  }
  return validAnswerFor(outcome.key);
}
