import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { type ApiKey, ApiKeySchema, ApiKeyStatus } from '@aegis/proto/aegis/auth/v1/api_key_pb.js';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import { invalidArgument } from '@aegis/shared';
import { keyStatus, type ApiKeyRecord, type KeyStatus } from '../domain/api-key-record.js';
import type { RateLimitTierName } from '../ports.js';

const TIER_TO_PROTO: Record<RateLimitTierName, RateLimitTier> = {
  free: RateLimitTier.FREE,
  pro: RateLimitTier.PRO,
  enterprise: RateLimitTier.ENTERPRISE,
};

const STATUS_TO_PROTO: Record<KeyStatus, ApiKeyStatus> = {
  active: ApiKeyStatus.ACTIVE,
  disabled: ApiKeyStatus.DISABLED,
  revoked: ApiKeyStatus.REVOKED,
};

export function tierToProto(tier: RateLimitTierName): RateLimitTier {
  return TIER_TO_PROTO[tier];
}

/** UNSPECIFIED → undefined (the caller decides the default); an unknown number is InvalidArgument. */
export function tierFromProto(tier: RateLimitTier, field = 'tier'): RateLimitTierName | undefined {
  if (tier === RateLimitTier.UNSPECIFIED) return undefined;
  const name = (Object.keys(TIER_TO_PROTO) as RateLimitTierName[]).find((n) => TIER_TO_PROTO[n] === tier);
  if (name === undefined) throw invalidArgument(field, 'must be FREE, PRO or ENTERPRISE');
  return name;
}

/** The stored record as the contract shows it: never the secret, never the digest. */
export function apiKeyMessage(record: ApiKeyRecord): ApiKey {
  return create(ApiKeySchema, {
    tenantId: record.tenantId,
    keyId: record.id,
    userId: record.userId,
    name: record.name,
    environment: record.environment,
    hint: record.hint,
    roles: record.roles,
    scopes: record.scopes,
    tier: tierToProto(record.tier),
    metadata: record.metadata,
    status: STATUS_TO_PROTO[keyStatus(record)],
    ...(record.expiresAt !== null ? { expireTime: timestampFromDate(record.expiresAt) } : {}),
    createTime: timestampFromDate(record.createTime),
    ...(record.lastUsedTime !== null ? { lastUsedTime: timestampFromDate(record.lastUsedTime) } : {}),
    ...(record.revokedAt !== null ? { revokeTime: timestampFromDate(record.revokedAt) } : {}),
    rotatedFromKeyId: record.rotatedFrom ?? '',
    rotatedToKeyId: record.rotatedTo ?? '',
    version: record.version,
  });
}
